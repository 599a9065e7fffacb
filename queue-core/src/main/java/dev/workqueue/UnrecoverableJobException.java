package dev.workqueue;

/**
 * Thrown by a {@link JobHandler} when another attempt cannot succeed (the job's input is invalid,
 * the thing it refers to is gone): the attempt fails and the job goes to the dead-letter queue at
 * once, however many attempts it has left. Recognised also as the cause, at any depth, of what the
 * handler or an interceptor throws. The dead letter's error is that of the exception thrown.
 */
public class UnrecoverableJobException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A failure no retry can mend, described by {@code message}. */
  public UnrecoverableJobException(String message) {
    super(message);
  }

  /** A failure no retry can mend, described by {@code message}, caused by {@code cause}. */
  public UnrecoverableJobException(String message, Throwable cause) {
    super(message, cause);
  }
}
