package dev.workqueue;

/**
 * The host's code that processes one job. Returning normally acknowledges the job; throwing
 * fails the attempt, which is retried or dead-lettered per the consumer's {@link RetryPolicy};
 * throwing an {@link UnrecoverableJobException} dead-letters it without further attempts. A
 * handler that runs past the consumer's job timeout is interrupted and its attempt fails; one that
 * ignores the interrupt keeps running while the retry may already run elsewhere.
 */
@FunctionalInterface
public interface JobHandler {
  /**
   * Processes one delivery of a job. May run again for the same job (at-least-once delivery), so
   * it should be idempotent.
   *
   * @throws Exception any failure; the attempt is counted as failed
   */
  void handle(Job job) throws Exception;
}
