package dev.workqueue;

/** A job's payload is larger than the producer's {@code maxPayloadBytes}; nothing was enqueued. */
public class PayloadTooLargeException extends QueueException {
  private final int size;
  private final int limit;

  public PayloadTooLargeException(int size, int limit) {
    super("payload must be at most maxPayloadBytes = " + limit + " bytes, but was " + size + " bytes");
    this.size = size;
    this.limit = limit;
  }

  /** The rejected payload's size in bytes. */
  public int size() {
    return size;
  }

  /** The configured limit in bytes. */
  public int limit() {
    return limit;
  }
}
