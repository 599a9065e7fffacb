package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.redis.RedisRateLimiter.WhenUnavailable;
import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RequiresRedisServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * The shared limiter against a real redis-server; timing checks are conditions with tolerance. The
 * 10 s test uses a burst of 20 (100 ms at 200/s) so that producer threads starved of CPU by a busy
 * build machine for less than that lose no capacity.
 */
@RequiresRedisServer
class RedisRateLimiterIT {
  private static RedisServer redis;
  private static RedisClient first;
  private static RedisClient second;

  private final List<AutoCloseable> closeAfterTest = new ArrayList<>();

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.builder().start();
    first = RedisClient.create(redis.url());
    second = RedisClient.create(redis.url());
  }

  @AfterAll
  static void stopRedis() {
    if (redis != null) {
      first.close();
      second.close();
      redis.close();
    }
  }

  @AfterEach
  void closeTestResources() throws Exception {
    for (AutoCloseable resource : closeAfterTest) {
      resource.close();
    }
  }

  private static RedisRateLimiter limiter(RedisClient client, String name, RateLimiterConfig config) {
    return RedisRateLimiter.builder(client, name, config).build();
  }

  @Test
  void limitersOfTheSameNameShareTheirPermitsAndFailedAttemptsConsumeNone() {
    RateLimiterConfig config = new RateLimiterConfig(1, 2, 0);
    RedisRateLimiter onFirst = limiter(first, "shared-permits", config);
    RedisRateLimiter onSecond = limiter(second, "shared-permits", config);
    RedisRateLimiter otherName = limiter(second, "other-permits", config);

    assertThat(onFirst.tryAcquire(1)).isTrue();
    assertThat(onSecond.tryAcquire(2)).isFalse();
    assertThat(onSecond.tryAcquire(1)).isTrue();
    assertThat(onFirst.tryAcquire(1)).isFalse();
    assertThat(otherName.tryAcquire(2)).isTrue();
  }

  @Test
  void stateIsOneHashTaggedKeyThatExpiresWhenTheLimiterIsIdle() throws IOException {
    RedisRateLimiter limiter = limiter(first, "expiring", new RateLimiterConfig(20, 1, 0));

    assertThat(limiter.tryAcquire(1)).isTrue();

    long ttl = Long.parseLong(redis.command("PTTL", RedisRateLimiter.key("expiring")).substring(1));
    assertThat(ttl).isBetween(1L, 100L);
    await().atMost(Duration.ofSeconds(5))
        .until(() -> redis.command("EXISTS", RedisRateLimiter.key("expiring")).equals(":0"));
  }

  @Test
  void requestLargerThanBurstIsBookedAndWaitsForItsSurplus() throws InterruptedException {
    RedisRateLimiter limiter = limiter(first, "large-request", new RateLimiterConfig(10, 2, 0));
    long start = System.nanoTime();

    limiter.acquire(5);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(290));
    assertThat(limiter.tryAcquire(1)).isFalse();
    assertThat(limiter.tryAcquire(3, Duration.ofMillis(1))).isFalse();
  }

  @Test
  void tryAcquireWithTimeoutWaitsForAPermitDueInTime() throws InterruptedException {
    RedisRateLimiter limiter = limiter(first, "timeout", new RateLimiterConfig(5, 1, 0));
    assertThat(limiter.tryAcquire(1)).isTrue();

    assertThat(limiter.tryAcquire(1, Duration.ofMillis(10))).isFalse();
    assertThat(limiter.tryAcquire(1, Duration.ofSeconds(2))).isTrue();
  }

  @Test
  void scriptIsLoadedAgainAfterTheServerForgetsIt() throws IOException {
    RedisRateLimiter limiter = limiter(first, "reloaded", new RateLimiterConfig(1000, 10, 0));
    assertThat(limiter.tryAcquire(1)).isTrue();

    assertThat(redis.command("SCRIPT", "FLUSH")).isEqualTo("+OK");

    assertThat(limiter.tryAcquire(1)).isTrue();
  }

  @Test
  void unreachableRedisFailsWithBackendUnavailableByDefault() {
    RedisRateLimiter limiter = RedisRateLimiter.builder(
        "redis://127.0.0.1:" + RedisServer.freePort(), "unreachable", RateLimiterConfig.of(10)).build();
    closeAfterTest.add(limiter);

    assertThatThrownBy(() -> limiter.tryAcquire(1)).isInstanceOf(BackendUnavailableException.class);
    assertThatThrownBy(limiter::acquire).isInstanceOf(BackendUnavailableException.class);
  }

  @Test
  void fallbackLimitsLocallyWhileRedisIsUnreachableAndReturnsToRedisWhenItAnswers() throws IOException {
    RedisServer late = RedisServer.builder().create();
    closeAfterTest.add(late);
    RedisRateLimiter limiter = RedisRateLimiter.builder(late.url(), "fallback", new RateLimiterConfig(1, 1, 0))
        .whenUnavailable(WhenUnavailable.FALLBACK_LOCAL)
        .recheckInterval(Duration.ofMillis(50))
        .build();
    closeAfterTest.add(limiter);

    assertThat(limiter.tryAcquire(1)).isTrue();
    assertThat(limiter.tryAcquire(1)).isFalse();

    late.startProcess();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
      limiter.tryAcquire(1);
      return late.command("EXISTS", RedisRateLimiter.key("fallback")).equals(":1");
    });
  }

  @Test
  void closedLimiterRefusesUseAndLeavesACallerOwnedClientOpen() {
    RedisRateLimiter limiter = limiter(first, "closed", RateLimiterConfig.of(10));

    limiter.close();
    limiter.close();

    assertThatThrownBy(() -> limiter.tryAcquire(1)).isInstanceOf(IllegalStateException.class)
        .hasMessage("rate limiter closed is closed");
    assertThat(first.ping()).isEqualTo("PONG");
  }
}
