package dev.workqueue;

/** Lifecycle of a {@link Consumer}. */
public enum ConsumerState {
  /** Built, not started. */
  NEW,
  /** Fetching and processing jobs. */
  RUNNING,
  /** Closing: no longer fetching, letting in-flight jobs finish within the drain timeout. */
  DRAINING,
  /** Closed: every thread stopped, unfinished jobs returned to their queue. */
  STOPPED
}
