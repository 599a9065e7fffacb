package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.QueueStats;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.Lease;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.util.SafeEncoder;

/** A consumer whose lease expired and was handed on can no longer change the job. */
class StaleLeaseIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @Test
  void everyKindOfSettlementAndHeartbeatWithAStaleTokenIsRejected() throws InterruptedException {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("stale").build()) {
      Instant now = Instant.now();
      backend.enqueue(List.of(new Job("job-1", "q", "default", new byte[] {1}, 0, 0, now, now, Map.of(), null)),
          Duration.ofHours(1));
      LeasedJob slow = backend.fetch(new FetchRequest("slow", "q", List.of("default"), 1,
          Duration.ofMillis(200), Duration.ZERO)).jobs().get(0);
      await().atMost(Duration.ofSeconds(20)).until(() -> !backend.recoverExpired("q", 10).isEmpty());
      LeasedJob fast = backend.fetch(new FetchRequest("fast", "q", List.of("default"), 1,
          Duration.ofMinutes(5), Duration.ZERO)).jobs().get(0);
      Lease stale = slow.lease();
      JobError error = new JobError("x", "late", Instant.now());

      List<Boolean> accepted = backend.settle(List.of(new Settlement.Ack(stale),
          new Settlement.Retry(stale, Duration.ZERO, error), new Settlement.DeadLetter(stale, error),
          new Settlement.Release(stale)));
      assertThat(accepted).containsExactly(false, false, false, false);
      assertThat(backend.heartbeat("slow", "q", List.of(stale), Duration.ofMinutes(5), Duration.ofSeconds(30)))
          .isEmpty();

      QueueStats stats = backend.stats("q");
      assertThat(stats.inFlight()).isEqualTo(1);
      assertThat(stats.pending()).isEqualTo(1);
      assertThat(stats.dead() + stats.completed()).isZero();
      assertThat(fast.job().attempt()).isEqualTo(2);
      assertThat(backend.settle(List.of(new Settlement.Ack(fast.lease())))).containsExactly(true);
    }
  }

  @Test
  void tokenOfOneJobCannotSettleAnother() throws InterruptedException {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("forged").build()) {
      Instant now = Instant.now();
      backend.enqueue(List.of(new Job("a", "q", "default", new byte[0], 0, 0, now, now, Map.of(), null),
          new Job("b", "q", "default", new byte[0], 0, 0, now, now, Map.of(), null)), Duration.ofHours(1));
      List<LeasedJob> both = backend.fetch(new FetchRequest("c", "q", List.of("default"), 2,
          Duration.ofMinutes(5), Duration.ZERO)).jobs();
      Lease ofA = both.get(0).lease();

      Lease forged = new Lease("b", "q", ofA.token(), ofA.deadline());
      assertThat(backend.settle(List.of(new Settlement.Ack(forged)))).containsExactly(false);
      assertThat(backend.stats("q").inFlight()).isEqualTo(2);
    }
  }

  @Test
  void aLeaseSettledTwiceInOneBatchIsAcceptedOnlyOnce() throws InterruptedException {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("twice").build()) {
      Instant now = Instant.now();
      backend.enqueue(List.of(new Job("job-1", "q", "default", new byte[0], 0, 0, now, now, Map.of(), null)),
          Duration.ofHours(1));
      Lease lease = backend.fetch(new FetchRequest("c", "q", List.of("default"), 1,
          Duration.ofMinutes(5), Duration.ZERO)).jobs().get(0).lease();

      List<Boolean> accepted = backend.settle(List.of(new Settlement.Release(lease),
          new Settlement.Release(lease), new Settlement.Ack(lease)));

      assertThat(accepted).containsExactly(true, false, false);
      QueueStats stats = backend.stats("q");
      assertThat(stats.pending()).as("one copy of the job waits").isEqualTo(1);
      assertThat(stats.inFlight() + stats.completed()).isZero();
    }
  }

  @Test
  void aNewTokenSequenceStartsAtTheServersMicrosecondSoARestartWithinAMillisecondCannotRepeatIt()
      throws InterruptedException {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("fresh").build();
        RedisClient raw = RedisClient.create(redis.url())) {
      Instant now = Instant.now();
      backend.enqueue(List.of(new Job("first", "q", "default", new byte[0], 0, 0, now, now, Map.of(), null)),
          Duration.ofHours(1));
      FetchRequest request = new FetchRequest("c", "q", List.of("default"), 1, Duration.ofMinutes(5),
          Duration.ZERO);
      // Loads the fetch script, so that the fetch below follows the clock reading within the same
      // millisecond as a rule: a token counted from milliseconds would then lie below the reading.
      backend.fetch(new FetchRequest("c", "empty", List.of("default"), 1, Duration.ofMinutes(5),
          Duration.ZERO));
      long before = serverMicros(raw);
      Lease lease = backend.fetch(request).jobs().get(0).lease();
      long after = serverMicros(raw);

      assertThat(Long.parseLong(lease.token())).isGreaterThan(before).isLessThanOrEqualTo(after + 1);
    }
  }

  private static long serverMicros(RedisClient raw) {
    List<?> time = (List<?>) raw.sendCommand(Protocol.Command.TIME);
    return Long.parseLong(SafeEncoder.encode((byte[]) time.get(0))) * 1_000_000
        + Long.parseLong(SafeEncoder.encode((byte[]) time.get(1)));
  }

  @Test
  void leaseHandedOutBeforeRedisLostItsDataCannotHeartbeatALaterOne() throws InterruptedException {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("lost").build();
        RedisClient raw = RedisClient.create(redis.url())) {
      Instant now = Instant.now();
      FetchRequest request = new FetchRequest("c", "q", List.of("default"), 1, Duration.ofMinutes(5),
          Duration.ZERO);
      backend.enqueue(List.of(new Job("before", "q", "default", new byte[0], 0, 0, now, now, Map.of(), null)),
          Duration.ofHours(1));
      Lease old = backend.fetch(request).jobs().get(0).lease();
      // Redis restarted without persistence: every key of the queue is gone.
      raw.del(raw.keys("lost:*").toArray(String[]::new));
      backend.enqueue(List.of(new Job("after", "q", "default", new byte[0], 0, 0, now, now, Map.of(), null)),
          Duration.ofHours(1));
      Lease current = backend.fetch(request).jobs().get(0).lease();

      assertThat(current.token()).isNotEqualTo(old.token());
      assertThat(backend.heartbeat("c", "q", List.of(old), Duration.ofMinutes(5), Duration.ofSeconds(30)))
          .isEmpty();
    }
  }
}
