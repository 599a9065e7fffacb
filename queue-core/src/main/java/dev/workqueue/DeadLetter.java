package dev.workqueue;

import java.util.Objects;

/**
 * A job in the dead-letter queue.
 *
 * @param jobId its id
 * @param queue its queue
 * @param job the job as last delivered, or {@code null} when its stored data could not be decoded
 * @param error the last error (for undecodable data: why decoding failed)
 */
public record DeadLetter(String jobId, String queue, Job job, JobError error) {
  public DeadLetter {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(error, "error");
  }
}
