package dev.workqueue.internal;

import java.util.concurrent.locks.LockSupport;

/** Monotonic time and parking for rate limiters; tests substitute a manual one. */
public interface Ticker {

  /** The real one: {@link System#nanoTime()} and {@link LockSupport#parkNanos(long)}. */
  Ticker SYSTEM = new Ticker() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void park(long nanos) {
      LockSupport.parkNanos(nanos);
    }
  };

  /** Current monotonic time in nanoseconds; only differences are meaningful. */
  long nanoTime();

  /** Parks the calling thread for up to {@code nanos}; may return earlier. */
  void park(long nanos);

  /**
   * Parks until {@link #nanoTime()} reaches {@code deadline}, checking for interrupts after each
   * wake-up. Parking rather than sleeping in coarse steps keeps waits precise to the scheduler's
   * timer slack.
   *
   * @throws InterruptedException as soon as the thread is interrupted while waiting
   */
  default void parkUntil(long deadline) throws InterruptedException {
    long remaining;
    while ((remaining = deadline - nanoTime()) > 0) {
      park(remaining);
      if (Thread.interrupted()) {
        throw new InterruptedException("interrupted while waiting for a rate-limit permit");
      }
    }
  }
}
