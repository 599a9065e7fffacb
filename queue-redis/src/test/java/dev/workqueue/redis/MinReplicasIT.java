package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.Job;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.redis.RedisRateLimiter.WhenUnavailable;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A master with {@code min-replicas-to-write} (set to bound what a Sentinel failover can lose)
 * refuses writes with NOREPLICAS while too few replicas are connected, such as while one restarts.
 * That passes once they are back, so it is transient: producers may retry, consumers retry their
 * settlements instead of dropping them (and running the jobs again after their leases expire).
 */
class MinReplicasIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension(
      server -> server.options("--min-replicas-to-write", "1"));

  private final RedisQueueBackend backend =
      RedisQueueBackend.builder().url(redis.url()).namespace("replicas").build();

  @AfterEach
  void closeBackend() {
    backend.close();
  }

  @Test
  void writesRefusedForWantOfReplicasAreTransientAndResumeWhenTheyAreBack() throws Exception {
    Instant now = Instant.now();
    List<Job> jobs = List.of(new Job("j", "q", "default", new byte[] {1}, 0, 0, now, now, Map.of(), null));
    FetchRequest fetch =
        new FetchRequest("c", "q", List.of("default"), 10, Duration.ofMinutes(1), Duration.ZERO);

    assertThatThrownBy(() -> backend.enqueue(jobs, Duration.ofHours(1)))
        .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("NOREPLICAS");
    assertThatThrownBy(() -> backend.fetch(fetch)).isInstanceOf(BackendUnavailableException.class);
    try (RedisRateLimiter limiter = RedisRateLimiter.builder(redis.url(), "replicas",
        RateLimiterConfig.of(10)).whenUnavailable(WhenUnavailable.FALLBACK_LOCAL).build()) {
      assertThat(limiter.tryAcquire(1)).as("served by the local fallback").isTrue();
    }

    setMinReplicas(0);
    try {
      assertThat(backend.enqueue(jobs, Duration.ofHours(1))).hasSize(1);
      assertThat(backend.fetch(fetch).jobs()).hasSize(1);
    } finally {
      setMinReplicas(1);
    }
  }

  private static void setMinReplicas(int count) throws IOException {
    assertThat(redis.server().command("CONFIG", "SET", "min-replicas-to-write", Integer.toString(count)))
        .isEqualTo("+OK");
  }
}
