package dev.workqueue.redis.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.RetryPolicy;
import dev.workqueue.redis.RedisQueueBackend;
import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RequiresRedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Redis with {@code appendonly yes, appendfsync always} is killed with SIGKILL and restarted in
 * the middle of 20,000 jobs; afterwards every job must be completed or dead-lettered. Duplicates
 * (jobs whose completion was lost with the connection and that ran again) are counted and printed.
 */
@RequiresRedisServer
class RedisRestartIT {
  private static final Duration PATIENCE = Duration.ofMinutes(4);
  private static final int JOBS = 20_000;

  @Test
  void noJobIsLostWhenRedisIsKilledAndRestartedMidRun() throws Exception {
    String queue = "restart-jobs";
    try (RedisServer redis = RedisServer.builder().appendOnly(true).start();
        RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("restart")
            .connectTimeout(Duration.ofMillis(500)).socketTimeout(Duration.ofSeconds(1)).build();
        Producer producer = Producer.builder(backend).defaultQueue(queue).build()) {
      JobLedger ledger = new JobLedger();
      List<NewJob> batch = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        batch.add(NewJob.of("job-" + i));
        if (batch.size() == 1_000) {
          ledger.enqueued(producer.enqueueAll(batch));
          batch.clear();
        }
      }
      assertThat(ledger.enqueuedCount()).isEqualTo(JOBS);

      try (Consumer consumer = Consumer.builder(backend, job -> {
            ledger.ran(job);
            Thread.sleep(0, 200_000);
          })
          .name("restart").queue(queue).concurrency(16)
          .leaseDuration(Duration.ofSeconds(3)).recoveryInterval(Duration.ofMillis(500))
          .fetchWait(Duration.ofMillis(500))
          .retryPolicy(RetryPolicy.builder().maxAttempts(10).initialBackoff(Duration.ofMillis(50))
              .maxBackoff(Duration.ofMillis(500)).build())
          .build()) {
        consumer.start();
        await().atMost(PATIENCE).until(() -> ledger.ranCount() >= JOBS / 3);

        redis.kill();
        int ranBeforeRestart = ledger.ranCount();
        Thread.sleep(1_000);
        redis.startProcess();

        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500))
            .until(() -> backend.stats(queue).pending() == 0);
        System.out.printf("restart: killed Redis after %,d of %,d jobs had run%n", ranBeforeRestart, JOBS);
      }
      ledger.assertNoneLost("restart", backend, queue);
    }
  }
}
