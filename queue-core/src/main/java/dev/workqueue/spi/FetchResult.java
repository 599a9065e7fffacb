package dev.workqueue.spi;

import java.util.List;

/**
 * What one fetch returned.
 *
 * @param jobs jobs now leased to the consumer, in priority order
 * @param poisoned undecodable entries met on the way, already dead-lettered by the backend
 */
public record FetchResult(List<LeasedJob> jobs, List<PoisonedEntry> poisoned) {
  private static final FetchResult EMPTY = new FetchResult(List.of(), List.of());

  public FetchResult {
    jobs = List.copyOf(jobs);
    poisoned = List.copyOf(poisoned);
  }

  /** A result with nothing in it. */
  public static FetchResult empty() {
    return EMPTY;
  }

  /** True when neither jobs nor poisoned entries were returned. */
  public boolean isEmpty() {
    return jobs.isEmpty() && poisoned.isEmpty();
  }
}
