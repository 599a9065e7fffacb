package dev.workqueue.runner.internal.handler;

/** An exec handler command exited with a non-zero code or ran out of time. */
public final class CommandFailedException extends Exception {
  private static final long serialVersionUID = 1L;

  CommandFailedException(String message) {
    super(message);
  }
}
