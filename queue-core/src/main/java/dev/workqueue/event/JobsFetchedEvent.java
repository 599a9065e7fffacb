package dev.workqueue.event;

import dev.workqueue.Job;
import java.util.List;

/**
 * A consumer took jobs from its queue in one fetch: each is now leased to it, to run or to hand
 * back. A job is fetched again on each later delivery (a retry, a recovery after a lost lease, a
 * release when a consumer stops before running it).
 *
 * @param consumer the consumer's name
 * @param queue the queue the jobs came from
 * @param jobs the jobs fetched, {@link Job#attempt()} counting this delivery; never empty
 */
public record JobsFetchedEvent(String consumer, String queue, List<Job> jobs) {
  /** Keeps an unmodifiable copy of {@code jobs}. */
  public JobsFetchedEvent {
    jobs = List.copyOf(jobs);
  }
}
