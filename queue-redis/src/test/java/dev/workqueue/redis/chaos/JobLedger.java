package dev.workqueue.redis.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.DeadLetter;
import dev.workqueue.EnqueueResult;
import dev.workqueue.Job;
import dev.workqueue.redis.RedisQueueBackend;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The books of a chaos run: which jobs were enqueued and how often each ran. The verdict accounts
 * every enqueued job as run or dead-lettered, so none is lost, and counts duplicate runs (a job
 * whose outcome was lost with a connection or a lease and that ran again), which at-least-once
 * delivery allows.
 */
final class JobLedger {
  private final Set<String> enqueued = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

  void enqueued(Collection<EnqueueResult> results) {
    results.forEach(result -> enqueued.add(result.jobId()));
  }

  int enqueuedCount() {
    return enqueued.size();
  }

  /** Records a handler run; call it from the handler. */
  void ran(Job job) {
    runs.computeIfAbsent(job.id(), id -> new AtomicInteger()).incrementAndGet();
  }

  /** Distinct jobs that ran at least once. */
  int ranCount() {
    return runs.size();
  }

  /**
   * Prints the ledger under {@code name} and asserts that every enqueued job ran or is in the
   * dead-letter queue of {@code queue}, that nothing ran that was not enqueued, and that no lease
   * is left in flight.
   */
  void assertNoneLost(String name, RedisQueueBackend backend, String queue) {
    Set<String> dead = new HashSet<>();
    for (DeadLetter letter : backend.peekDead(queue, enqueued.size())) {
      dead.add(letter.jobId());
    }
    Set<String> lost = new HashSet<>(enqueued);
    lost.removeAll(runs.keySet());
    lost.removeAll(dead);
    long duplicates = runs.values().stream().mapToLong(count -> count.get() - 1L).sum();
    System.out.printf("%s ledger: enqueued=%d ran=%d dead=%d lost=%d duplicate-runs=%d%n", name,
        enqueued.size(), runs.size(), dead.size(), lost.size(), duplicates);
    assertThat(lost).as("enqueued jobs neither run nor dead-lettered").isEmpty();
    assertThat(runs.keySet()).as("jobs that ran").isSubsetOf(enqueued);
    assertThat(backend.stats(queue).inFlight()).as("leases left in flight").isZero();
  }
}
