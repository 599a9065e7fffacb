package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.QueueException;
import dev.workqueue.QueueStats;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Redis at its maxmemory under {@code noeviction} (the policy the backend requires) refuses new
 * jobs, but consumers must still be able to drain it: every transition they make moves a job
 * within the queue or deletes it. Redis refuses a script's first write when that write may grow
 * memory, so a script that starts with one jammed the queue exactly when it was full. The same
 * held for the rate limiter, whose tiny expiring key stopped every caller sharing it.
 */
class FullRedisIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension(
      server -> server.options("--maxmemory-policy", "noeviction"));

  private final RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url())
      .namespace("full-" + UUID.randomUUID().toString().substring(0, 8)).build();

  @AfterEach
  void makeRoomAgain() throws IOException {
    redis.server().command("CONFIG", "SET", "maxmemory", "0");
    backend.close();
  }

  @Test
  void aFullRedisRefusesNewJobs() throws IOException {
    fill();

    assertThatThrownBy(() -> backend.enqueue(List.of(job("refused")), Duration.ofHours(1)))
        .isInstanceOf(QueueException.class).hasMessageContaining("OOM");
  }

  @Test
  void aFullRedisStillHandsOutARetryThatIsDue() throws Exception {
    LeasedJob leased = enqueueAndFetch("retried", Duration.ofMinutes(5)).get(0);
    assertThat(backend.settle(List.of(new Settlement.Retry(leased.lease(), Duration.ZERO, error()))))
        .containsExactly(true);
    fill();

    List<LeasedJob> again = backend.fetch(request(10, Duration.ofMinutes(5))).jobs();

    assertThat(again).extracting(each -> each.job().id()).containsExactly("retried");
  }

  @Test
  void aFullRedisStillRecordsRetriesDeadLettersAndAcks() throws Exception {
    List<LeasedJob> leased = enqueueAndFetch("a", Duration.ofMinutes(5), "b", "c", "d");
    fill();

    List<Boolean> accepted = backend.settle(List.of(
        new Settlement.Retry(leased.get(0).lease(), Duration.ofMinutes(1), error()),
        new Settlement.DeadLetter(leased.get(1).lease(), error()),
        new Settlement.Ack(leased.get(2).lease()),
        new Settlement.Release(leased.get(3).lease())));

    assertThat(accepted).containsExactly(true, true, true, true);
    QueueStats stats = backend.stats("q");
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.delayed()).isEqualTo(1);
    assertThat(stats.dead()).isEqualTo(1);
    assertThat(stats.totalWaiting()).isEqualTo(1);
  }

  @Test
  void aFullRedisStillExtendsLeasesAndRecoversExpiredOnes() throws Exception {
    LeasedJob held = enqueueAndFetch("held", Duration.ofMinutes(5)).get(0);
    enqueueAndFetch("abandoned", Duration.ofMillis(1));
    fill();

    assertThat(backend.heartbeat("c", "q", List.of(held.lease()), Duration.ofMinutes(5),
        Duration.ofMinutes(1))).containsExactly("held");
    List<Job> recovered = new ArrayList<>();
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      recovered.addAll(backend.recoverExpired("q", 10));
      return !recovered.isEmpty();
    });
    assertThat(recovered).extracting(Job::id).containsExactly("abandoned");
  }

  @Test
  void aFullRedisStillHoldsProducersSharingALimiterToItsRate() throws IOException {
    try (RedisRateLimiter limiter = limiter("shared"); RedisRateLimiter other = limiter("shared");
        RedisRateLimiter idle = limiter("idle")) {
      assertThat(limiter.tryAcquire(1)).isTrue();
      fill();

      assertThat(other.tryAcquire(1)).isFalse();
      assertThat(idle.tryAcquire(1)).isTrue();
      assertThat(idle.tryAcquire(1)).isFalse();
    }
  }

  @Test
  void aFullRedisStillTakesBackTheBookingOfAnInterruptedWaiter() throws Exception {
    try (RedisRateLimiter limiter = limiter("interrupted")) {
      assertThat(limiter.tryAcquire(1)).isTrue();
      fill();
      AtomicReference<InterruptedException> interrupt = new AtomicReference<>();
      Thread waiter = new Thread(() -> {
        try {
          limiter.acquire(1);
        } catch (InterruptedException e) {
          interrupt.set(e);
        }
      });
      waiter.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> waiter.getState() == Thread.State.TIMED_WAITING);
      waiter.interrupt();
      waiter.join(Duration.ofSeconds(20).toMillis());

      assertThat(interrupt.get()).isNotNull();
      assertThat(interrupt.get().getSuppressed()).isEmpty();
    }
  }

  /** A limiter allowing one permit per minute, so the test never sees a second one fall due. */
  private RedisRateLimiter limiter(String name) {
    return RedisRateLimiter.builder(redis.url(), backend.namespace() + "-" + name,
        new RateLimiterConfig(1.0 / 60, 1, 0)).build();
  }

  /** Sets maxmemory below what Redis uses, as if the queue had filled it. */
  private static void fill() throws IOException {
    assertThat(redis.server().command("CONFIG", "SET", "maxmemory", "1")).startsWith("+OK");
  }

  private List<LeasedJob> enqueueAndFetch(String id, Duration lease, String... more)
      throws InterruptedException {
    List<Job> jobs = new ArrayList<>(List.of(job(id)));
    for (String other : more) {
      jobs.add(job(other));
    }
    backend.enqueue(jobs, Duration.ofHours(1));
    List<LeasedJob> leased = backend.fetch(request(jobs.size(), lease)).jobs();
    assertThat(leased).hasSize(jobs.size());
    return leased;
  }

  private static FetchRequest request(int maxJobs, Duration lease) {
    return new FetchRequest("c", "q", List.of("default"), maxJobs, lease, Duration.ZERO);
  }

  private static Job job(String id) {
    Instant now = Instant.now();
    return new Job(id, "q", "default", new byte[] {1}, 0, 0, now, now, Map.of(), null);
  }

  private static JobError error() {
    return new JobError("boom", "failed", Instant.now());
  }
}
