package dev.workqueue.redis;

import dev.workqueue.BackendUnavailableException;

/**
 * An enqueue reached fewer replicas than {@link RedisQueueBackend.Builder#waitForReplicas} asks
 * for within its timeout. Its jobs are stored on the master, which could lose them if it failed
 * over before they reach a replica: enqueue them again, safely with idempotency keys. Transient,
 * like every {@link BackendUnavailableException}: a replica that catches up ends it.
 */
public class NotReplicatedException extends BackendUnavailableException {
  private static final long serialVersionUID = 1L;

  public NotReplicatedException(String message) {
    super(message, null);
  }
}
