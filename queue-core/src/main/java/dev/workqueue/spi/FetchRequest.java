package dev.workqueue.spi;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A consumer's request for work.
 *
 * @param consumerId the requesting consumer, recorded with each lease
 * @param queue the queue to take from
 * @param priorities priority lanes in the order to serve them for this fetch: jobs are taken from
 *     the first non-empty lane, then the next, until {@code maxJobs} are taken
 * @param maxJobs the most jobs to take in this call, at least 1
 * @param leaseDuration how long each taken job stays leased unless extended
 * @param maxWait how long to block on the server when every lane is empty; zero returns at once
 */
public record FetchRequest(
    String consumerId,
    String queue,
    List<String> priorities,
    int maxJobs,
    Duration leaseDuration,
    Duration maxWait) {

  public FetchRequest {
    Objects.requireNonNull(consumerId, "consumerId");
    Objects.requireNonNull(queue, "queue");
    priorities = List.copyOf(priorities);
    if (priorities.isEmpty()) {
      throw new IllegalArgumentException("priorities must not be empty");
    }
    if (maxJobs < 1) {
      throw new IllegalArgumentException("maxJobs must be at least 1, but was " + maxJobs);
    }
    Objects.requireNonNull(leaseDuration, "leaseDuration");
    Objects.requireNonNull(maxWait, "maxWait");
  }
}
