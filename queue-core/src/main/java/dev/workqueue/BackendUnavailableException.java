package dev.workqueue;

/**
 * The backend could not be reached or did not answer in time (connection refused or reset,
 * timeout, failover in progress). Transient: the same call may succeed later. The cause holds
 * the client library's exception.
 */
public class BackendUnavailableException extends QueueException {
  public BackendUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
