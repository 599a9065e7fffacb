package dev.workqueue;

import java.util.Objects;

/**
 * The outcome of enqueueing one job.
 *
 * @param jobId the id of the stored job: the new one, or for a duplicate idempotency key the id
 *     of the job enqueued first
 * @param created false when the idempotency key was already known and nothing was enqueued
 */
public record EnqueueResult(String jobId, boolean created) {
  public EnqueueResult {
    Objects.requireNonNull(jobId, "jobId");
  }
}
