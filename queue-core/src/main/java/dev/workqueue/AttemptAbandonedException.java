package dev.workqueue;

/**
 * What interceptors around a handler see when the handler returns after the consumer has already
 * ended its attempt: the job timeout ran out (the attempt counts as failed and the job is retried
 * or dead-lettered) or a shutdown past its drain timeout returned the job to its queue. The
 * handler's own result is then not recorded, and a tracing span should say so instead of success.
 */
public class AttemptAbandonedException extends QueueException {
  public AttemptAbandonedException(String message) {
    super(message);
  }
}
