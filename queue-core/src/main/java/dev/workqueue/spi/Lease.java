package dev.workqueue.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * A consumer's claim on a taken job. The token changes with every delivery, so a backend can
 * reject a settlement or extension from a consumer whose lease expired and was handed on.
 *
 * @param jobId the leased job
 * @param queue its queue
 * @param token unique per delivery
 * @param deadline when the lease expires unless extended, by the backend's clock
 */
public record Lease(String jobId, String queue, String token, Instant deadline) {
  public Lease {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(deadline, "deadline");
  }
}
