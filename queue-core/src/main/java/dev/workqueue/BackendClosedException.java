package dev.workqueue;

/**
 * The backend was closed: no call through it can succeed again. Producers and consumers should
 * be closed before the backend they use; a consumer whose backend is closed under it stops by
 * itself.
 */
public class BackendClosedException extends QueueException {
  public BackendClosedException(String message) {
    super(message);
  }
}
