package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Job;
import dev.workqueue.redis.internal.QueueKeys;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** Completed jobs are remembered only within the configured count and age. */
class CompletedHistoryIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @Test
  void historyKeepsOnlyTheNewestIdsUpToItsSize() throws InterruptedException {
    try (RedisQueueBackend backend = builder().completedHistorySize(3).build()) {
      ackAll(backend, 5);
      assertThat(backend.stats("q").completed()).isEqualTo(3);
    }
  }

  @Test
  void historyForgetsIdsOlderThanItsAge() throws InterruptedException {
    try (RedisQueueBackend backend = builder().completedHistoryAge(Duration.ofMillis(300)).build()) {
      ackAll(backend, 4);
      await().atMost(Duration.ofSeconds(20)).until(() -> backend.stats("q").completed() == 0);
    }
  }

  /** A queue nobody uses any more gets no settle or stats call that would trim its history. */
  @Test
  void historyOfAQueueThatFellIdleIsDroppedAfterItsAgeWithoutFurtherCalls() throws InterruptedException {
    try (RedisQueueBackend backend = builder().completedHistoryAge(Duration.ofMillis(300)).build();
        RedisClient raw = RedisClient.create(redis.url())) {
      ackAll(backend, 3);
      byte[] history = QueueKeys.of(backend.namespace(), "q").completed();
      assertThat(raw.llen(history)).isEqualTo(3);

      await().atMost(Duration.ofSeconds(20)).until(() -> !raw.exists(history));
    }
  }

  @Test
  void sizeZeroKeepsNoHistory() throws InterruptedException {
    try (RedisQueueBackend backend = builder().completedHistorySize(0).build()) {
      ackAll(backend, 2);
      assertThat(backend.stats("q").completed()).isZero();
      assertThat(backend.stats("q").pending()).isZero();
    }
  }

  private static RedisQueueBackend.Builder builder() {
    return RedisQueueBackend.builder().url(redis.url()).namespace("history-" + UUID.randomUUID().toString().substring(0, 8));
  }

  private static void ackAll(RedisQueueBackend backend, int count) throws InterruptedException {
    Instant now = Instant.now();
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      jobs.add(new Job("job-" + i, "q", "default", new byte[0], 0, 0, now, now, Map.of(), null));
    }
    backend.enqueue(jobs, Duration.ofHours(1));
    List<LeasedJob> leased = backend.fetch(new FetchRequest("c", "q", List.of("default"), count,
        Duration.ofMinutes(5), Duration.ZERO)).jobs();
    List<Settlement> acks = new ArrayList<>();
    leased.forEach(job -> acks.add(new Settlement.Ack(job.lease())));
    assertThat(backend.settle(acks)).containsOnly(true).hasSize(count);
  }
}
