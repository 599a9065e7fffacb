package dev.workqueue.redis.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.RetryPolicy;
import dev.workqueue.redis.RedisQueueBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One chaos scenario: a consumer works through a filled queue; once a quarter of it has run, a
 * producer thread starts enqueueing more jobs (with idempotency keys, retrying a batch whenever
 * the backend reports itself unavailable) and the fault is injected. Afterwards the ledger must
 * account for every job that was enqueued, before and during the fault.
 */
final class FaultedRun {
  private static final Duration PATIENCE = Duration.ofMinutes(3);
  private static final int FILLED = 8_000;
  private static final int DURING_FAULT = 2_000;
  private static final int BATCH = 100;

  /** Injects a fault and returns once it is over. */
  @FunctionalInterface
  interface Fault {
    void inject() throws Exception;
  }

  private FaultedRun() {}

  /**
   * Runs the scenario on {@code queue}: producer and consumer use {@code faulted}, the one the
   * fault hits; the outcome is read through {@code direct}, which may be the same backend.
   */
  static void run(String name, String queue, RedisQueueBackend faulted, RedisQueueBackend direct, Fault fault)
      throws Exception {
    JobLedger ledger = new JobLedger();
    AtomicInteger unavailable = new AtomicInteger();
    try (Producer producer = Producer.builder(faulted).defaultQueue(queue).build()) {
      List<NewJob> batch = new ArrayList<>();
      for (int i = 0; i < FILLED; i++) {
        batch.add(NewJob.of(name + "-" + i));
        if (batch.size() == 1_000) {
          ledger.enqueued(producer.enqueueAll(batch));
          batch.clear();
        }
      }
      try (Consumer consumer = Consumer.builder(faulted, job -> {
            ledger.ran(job);
            Thread.sleep(0, 200_000);
          })
          .name(name).queue(queue).concurrency(16)
          .leaseDuration(Duration.ofSeconds(2)).heartbeatInterval(Duration.ofMillis(500))
          .recoveryInterval(Duration.ofMillis(500)).fetchWait(Duration.ofMillis(500))
          .retryPolicy(RetryPolicy.builder().maxAttempts(10).initialBackoff(Duration.ofMillis(50))
              .maxBackoff(Duration.ofMillis(500)).build())
          .build()) {
        consumer.start();
        await().atMost(PATIENCE).until(() -> ledger.ranCount() >= FILLED / 4);

        Thread enqueuer = new Thread(() -> enqueueThroughFault(name, producer, ledger, unavailable),
            name + "-producer");
        enqueuer.start();
        fault.inject();
        enqueuer.join(PATIENCE.toMillis());
        assertThat(enqueuer.isAlive()).as("producer still retrying after the fault").isFalse();

        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250))
            .until(() -> direct.stats(queue).pending() == 0);
      }
    }
    System.out.printf("%s: the producer saw %d unavailable-backend errors and retried each batch%n", name,
        unavailable.get());
    assertThat(ledger.enqueuedCount()).isEqualTo(FILLED + DURING_FAULT);
    ledger.assertNoneLost(name, direct, queue);
  }

  /**
   * Enqueues while the fault lasts. A batch that failed may still have been stored, so each job
   * carries an idempotency key and the batch is sent again until it is acknowledged: the results
   * then name each job once, whether it was stored by the first call or by the retry.
   */
  private static void enqueueThroughFault(String name, Producer producer, JobLedger ledger,
      AtomicInteger unavailable) {
    for (int first = 0; first < DURING_FAULT; first += BATCH) {
      List<NewJob> batch = new ArrayList<>();
      for (int i = first; i < first + BATCH; i++) {
        batch.add(NewJob.builder(name + "-during-" + i).idempotencyKey(name + "-during-" + i).build());
      }
      while (true) {
        try {
          ledger.enqueued(producer.enqueueAll(batch));
          break;
        } catch (BackendUnavailableException e) {
          unavailable.incrementAndGet();
          sleep(Duration.ofMillis(100));
        }
      }
      sleep(Duration.ofMillis(20)); // spread the enqueues over the fault
    }
  }

  private static void sleep(Duration duration) {
    try {
      TimeUnit.NANOSECONDS.sleep(duration.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
