package dev.workqueue.runner.internal.command;

import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.runner.internal.BackendRefusedException;

/** The runner's exit statuses. */
public final class ExitCodes {
  /** Done; or stopped gracefully by SIGTERM/SIGINT. */
  public static final int OK = 0;
  /** A runtime failure: backend unreachable, unknown queue, rejected input lines. */
  public static final int FAILURE = 1;
  /**
   * Bad command line or invalid configuration, including a backend that refuses the runner at
   * start (a wrong password); nothing was touched.
   */
  public static final int USAGE = 2;
  /** A destructive command was not confirmed; nothing was changed. */
  public static final int REFUSED = 3;

  private ExitCodes() {}

  /** The status of a command that failed with {@code failure}: {@link #USAGE} or {@link #FAILURE}. */
  static int of(Exception failure) {
    return failure instanceof InvalidConfigurationException || failure instanceof UsageException
        || failure instanceof BackendRefusedException ? USAGE : FAILURE;
  }
}
