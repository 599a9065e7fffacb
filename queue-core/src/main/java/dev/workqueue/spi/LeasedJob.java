package dev.workqueue.spi;

import dev.workqueue.Job;
import java.util.Objects;

/**
 * A job handed to a consumer together with its lease.
 *
 * @param job the job, its attempt already counting this delivery
 * @param lease the consumer's claim on it
 */
public record LeasedJob(Job job, Lease lease) {
  public LeasedJob {
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(lease, "lease");
  }
}
