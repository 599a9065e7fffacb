package dev.workqueue;

/** A job given to a producer is invalid (for example a malformed queue name); nothing was enqueued. */
public class InvalidJobException extends QueueException {
  public InvalidJobException(String message) {
    super(message);
  }
}
