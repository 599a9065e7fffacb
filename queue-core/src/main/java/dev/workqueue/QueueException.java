package dev.workqueue;

/**
 * Root of every exception the library throws. Unchecked: callers decide where to handle it.
 * {@link BackendUnavailableException} marks transient failures worth retrying; every other
 * subclass is permanent for the input that caused it.
 */
public class QueueException extends RuntimeException {
  public QueueException(String message) {
    super(message);
  }

  public QueueException(String message, Throwable cause) {
    super(message, cause);
  }
}
