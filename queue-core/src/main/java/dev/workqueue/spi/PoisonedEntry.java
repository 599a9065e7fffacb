package dev.workqueue.spi;

import java.util.Objects;

/**
 * An entry a backend found in a queue but could not decode into a job. The backend has already
 * moved it to the dead-letter queue with {@code reason}; it is reported so observers see it.
 *
 * @param jobId the entry's id as far as it could be read
 * @param queue the queue it was found in
 * @param reason why it could not be decoded
 */
public record PoisonedEntry(String jobId, String queue, String reason) {
  public PoisonedEntry {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(reason, "reason");
  }
}
