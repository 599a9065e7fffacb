package dev.workqueue;

import java.util.Map;
import java.util.Objects;

/**
 * Counts of one queue's jobs by state, read in one consistent step where the backend allows.
 *
 * @param queue the queue
 * @param waiting jobs ready to run, per priority lane
 * @param inFlight jobs leased to a consumer
 * @param delayed jobs waiting for their run time (delayed enqueues and retry backoffs)
 * @param dead jobs in the dead-letter queue
 * @param completed completed jobs still kept in the bounded history
 * @param consumers consumers of this queue that sent a heartbeat within their liveness window
 * @param paused whether the queue is paused: consumers take none of its jobs until it is resumed
 */
public record QueueStats(
    String queue,
    Map<String, Long> waiting,
    long inFlight,
    long delayed,
    long dead,
    long completed,
    int consumers,
    boolean paused) {

  public QueueStats {
    Objects.requireNonNull(queue, "queue");
    waiting = Map.copyOf(waiting);
  }

  /** Waiting jobs over all lanes. */
  public long totalWaiting() {
    return waiting.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Jobs not yet finished: waiting, in flight and delayed. */
  public long pending() {
    return totalWaiting() + inFlight + delayed;
  }
}
