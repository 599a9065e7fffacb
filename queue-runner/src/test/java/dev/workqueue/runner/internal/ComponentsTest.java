package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.CircuitBreakerState;
import dev.workqueue.Consumer;
import dev.workqueue.DeadLetter;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.redis.RedisQueueBackend;
import dev.workqueue.runner.internal.config.ConfigLoader;
import dev.workqueue.runner.internal.config.RunnerConfig;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.Settlement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComponentsTest {
  private static RunnerConfig config(Map<String, String> env) {
    return ConfigLoader.load(null, env);
  }

  @Test
  void withoutRedisUrlTheBackendIsInMemoryAndMetricsAreServed() {
    try (Components components = Components.create(RunnerConfig.defaults())) {
      assertThat(components.backend()).isInstanceOf(InMemoryQueueBackend.class);
      assertThat(components.observers()).hasSize(1);
      assertThat(components.interceptors()).isEmpty();
      assertThat(components.scrape()).contains("jvm_memory_used_bytes");
    }
  }

  @Test
  void redisUrlSelectsTheRedisBackendWithoutConnecting() {
    try (Components components = Components.uninstrumented(config(Map.of(
        "WORKQUEUE_REDIS_URL", "redis://127.0.0.1:1", "WORKQUEUE_REDIS_PASSWORD", "secret")))) {
      assertThat(components.backend()).isInstanceOf(RedisQueueBackend.class);
      assertThat(components.observers()).isEmpty();
      assertThat(components.scrape()).isEmpty();
    }
  }

  @Test
  void deadLetterLimitBoundsTheInMemoryBackendsDeadLetters() {
    try (Components components = Components.uninstrumented(
        config(Map.of("WORKQUEUE_QUEUE_DEAD_LETTER_LIMIT", "1", "WORKQUEUE_QUEUE_DEAD_LETTER_AGE", "1h")))) {
      QueueBackend backend = components.backend();
      Instant now = Instant.now();
      List<Job> jobs = List.of(
          new Job("first", "q", "default", new byte[0], 0, 1, now, now, Map.of(), null),
          new Job("second", "q", "default", new byte[0], 0, 1, now, now, Map.of(), null));
      backend.enqueue(jobs, Duration.ofHours(1));
      for (int i = 0; i < jobs.size(); i++) {
        FetchRequest take =
            new FetchRequest("c", "q", List.of("default"), 1, Duration.ofMinutes(1), Duration.ZERO);
        LeasedJob leased = backend.fetch(take).jobs().get(0);
        backend.settle(List.of(new Settlement.DeadLetter(leased.lease(), new JobError("E", "failed", now))));
      }

      assertThat(backend.peekDead("q", 10)).extracting(DeadLetter::jobId).containsExactly("second");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void rateLimiterFollowsTheConfiguredRate() {
    try (Components unlimited = Components.create(config(Map.of("WORKQUEUE_PRODUCER_RATE_LIMIT_PER_SEC", "0")));
        Components limited = Components.create(RunnerConfig.defaults())) {
      assertThat(unlimited.producerRateLimiter()).isNull();
      assertThat(limited.producerRateLimiter()).isNotNull();
    }
  }

  @Test
  void theDefaultBurstIsTheRateRoundedDownFromOneToTenAndAGivenOneIsKept() {
    assertThat(burstAt("50", null)).isEqualTo(10);
    assertThat(burstAt("7.9", null)).isEqualTo(7);
    assertThat(burstAt("0.5", null)).isEqualTo(1);
    assertThat(burstAt("2", "40")).isEqualTo(40);
    Map<String, String> env = Map.of("WORKQUEUE_PRODUCER_RATE_LIMIT_PER_SEC", "7.5");
    try (Components components = Components.create(config(env))) {
      assertThat(components.producerRateLimit().permitsPerSecond()).isEqualTo(7.5);
    }
  }

  private static int burstAt(String rate, String burst) {
    Map<String, String> env = new HashMap<>(Map.of("WORKQUEUE_PRODUCER_RATE_LIMIT_PER_SEC", rate));
    if (burst != null) {
      env.put("WORKQUEUE_PRODUCER_BURST", burst);
    }
    try (Components components = Components.create(config(env))) {
      return components.producerRateLimit().burst();
    }
  }

  @Test
  void tracingAndTheCircuitBreakerAreWiredWhenEnabled() {
    try (Components components = Components.create(config(Map.of(
        "WORKQUEUE_TRACING_ENABLED", "true", "WORKQUEUE_WORKER_CIRCUIT_BREAKER_ENABLED", "true")))) {
      assertThat(components.interceptors()).hasSize(1);
      Consumer consumer = components.consumerBuilder(job -> { }).build();
      assertThat(consumer.circuitBreakerState()).isEqualTo(CircuitBreakerState.CLOSED);
      assertThat(consumer.queue()).isEqualTo("default");
      consumer.close();
    }
  }

  @Test
  void theMetricsClockRunsWhileMetricsAreOnAndStopsOnClose() {
    Components components = Components.create(RunnerConfig.defaults());
    assertThat(metricsClockThreads()).isPositive();
    components.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> metricsClockThreads() == 0);
  }

  @Test
  void aBackendThatCannotBeBuiltLeavesNoMetricsClockRunning() {
    // Discovering a cluster connects at once; nothing listens on port 1.
    assertThatThrownBy(() -> Components.create(config(Map.of("WORKQUEUE_REDIS_CLUSTER_NODES", "127.0.0.1:1"))))
        .isInstanceOf(RuntimeException.class);
    await().atMost(Duration.ofSeconds(10)).until(() -> metricsClockThreads() == 0);
  }

  private static long metricsClockThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().equals("workqueue-metrics-clock") && thread.isAlive())
        .count();
  }
}
