package dev.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.memory.InMemoryQueueBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Exact ledgers of job ids through producer, consumer and the in-memory backend. */
class ConsumerLedgerTest {
  private static final Duration PATIENCE = Duration.ofMinutes(2);
  private final InMemoryQueueBackend backend = InMemoryQueueBackend.builder().completedHistorySize(0).build();

  @AfterEach
  void close() {
    backend.close();
  }

  private Set<String> enqueue(int count) {
    Set<String> ids = new HashSet<>();
    try (Producer producer = Producer.builder(backend).defaultQueue("ledger").build()) {
      List<NewJob> batch = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        batch.add(NewJob.of("job-" + i));
        if (batch.size() == 10_000 || i == count - 1) {
          producer.enqueueAll(batch).forEach(result -> ids.add(result.jobId()));
          batch.clear();
        }
      }
    }
    assertThat(ids).hasSize(count);
    return ids;
  }

  private Consumer.Builder consumer(JobHandler handler) {
    return Consumer.builder(backend, handler).queue("ledger").concurrency(8)
        .fetchWait(Duration.ofMillis(200))
        .retryPolicy(RetryPolicy.builder().maxAttempts(3).initialBackoff(Duration.ofMillis(1))
            .maxBackoff(Duration.ofMillis(5)).build());
  }

  @Test
  void concurrencyEightProcessesOneHundredThousandJobsEachExactlyOnce() {
    Set<String> enqueued = enqueue(100_000);
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

    try (Consumer consumer = consumer(job -> runs.computeIfAbsent(job.id(), id -> new AtomicInteger())
        .incrementAndGet()).build()) {
      consumer.start();
      await().atMost(PATIENCE).until(() -> runs.size() == enqueued.size()
          && backend.stats("ledger").pending() == 0);
    }

    assertThat(runs.keySet()).isEqualTo(enqueued);
    assertThat(runs.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
    assertThat(backend.stats("ledger").dead()).isZero();
  }

  @Test
  void jobsFailingTheirFirstTwoAttemptsAllCompleteOnTheThird() {
    Set<String> enqueued = enqueue(2_000);
    Map<String, List<Integer>> attempts = new ConcurrentHashMap<>();
    Set<String> completed = ConcurrentHashMap.newKeySet();

    try (Consumer consumer = consumer(job -> {
      attempts.computeIfAbsent(job.id(), id -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(job.attempt());
      if (job.attempt() < 3) {
        throw new IllegalStateException("transient failure " + job.attempt());
      }
      completed.add(job.id());
    }).build()) {
      consumer.start();
      await().atMost(PATIENCE).until(() -> completed.size() == enqueued.size()
          && backend.stats("ledger").pending() == 0);
    }

    assertThat(completed).isEqualTo(enqueued);
    assertThat(attempts.values()).allSatisfy(list -> assertThat(list).containsExactly(1, 2, 3));
    assertThat(backend.stats("ledger").dead()).isZero();
  }

  @Test
  void jobsThatAlwaysFailAllEndInTheDeadLetterQueueWithTheirLastError() {
    Set<String> enqueued = enqueue(2_000);

    try (Consumer consumer = consumer(job -> {
      throw new IllegalArgumentException("failure on attempt " + job.attempt());
    }).build()) {
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats("ledger").dead() == enqueued.size());
    }

    List<DeadLetter> dead = backend.peekDead("ledger", 10_000);
    assertThat(dead).extracting(DeadLetter::jobId).doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(enqueued);
    assertThat(dead).allSatisfy(letter -> {
      assertThat(letter.error().type()).isEqualTo(IllegalArgumentException.class.getName());
      assertThat(letter.error().message()).isEqualTo("failure on attempt 3");
      assertThat(letter.job().attempt()).isEqualTo(3);
    });
    assertThat(backend.stats("ledger").pending()).isZero();
  }
}
