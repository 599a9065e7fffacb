package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.CircuitBreakerState;
import dev.workqueue.Consumer;
import dev.workqueue.DeadLetter;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.redis.RedisQueueBackend;
import dev.workqueue.redis.RedisRateLimiter;
import dev.workqueue.runner.internal.config.ConfigLoader;
import dev.workqueue.runner.internal.config.RunnerConfig;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.Settlement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComponentsTest {
  @TempDir
  Path dir;

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
  void rateLimiterFollowsTheConfiguredRateAndBurst() {
    try (Components unlimited = Components.create(config(Map.of("WORKQUEUE_PRODUCER_RATE_LIMIT_PER_SEC", "0")));
        Components local = Components.create(config(Map.of(
            "WORKQUEUE_PRODUCER_RATE_LIMIT_PER_SEC", "12.5", "WORKQUEUE_PRODUCER_BURST", "7")));
        // A limiter on a URL connects on first use; nothing listens on port 1.
        Components shared = Components.uninstrumented(config(Map.of(
            "WORKQUEUE_REDIS_URL", "redis://127.0.0.1:1", "WORKQUEUE_PRODUCER_RATE_LIMITER", "redis",
            "WORKQUEUE_PRODUCER_RATE_LIMIT_PER_SEC", "3", "WORKQUEUE_PRODUCER_BURST", "2")))) {
      assertThat(unlimited.producerRateLimiter()).isNull();
      assertThat(local.producerRateLimiter()).isNotNull();
      assertThat(local.producerRateLimit())
          .extracting(RateLimiterConfig::permitsPerSecond, RateLimiterConfig::burst).containsExactly(12.5, 7);
      assertThat(shared.producerRateLimiter()).isInstanceOfSatisfying(RedisRateLimiter.class, limiter -> {
        assertThat(limiter.name()).isEqualTo("producer-default");
        assertThat(limiter.config()).extracting(RateLimiterConfig::permitsPerSecond, RateLimiterConfig::burst)
            .containsExactly(3.0, 2);
      });
    }
  }

  /**
   * The queue-length updater reads queues in name order: past the first 100, the runner's own
   * queue was published as other until its producer enqueued, and a recurring entry's for good.
   */
  @Test
  void ownAndRecurringQueuesKeepTheirTagsHoweverManyQueuesSortBeforeThem() throws Exception {
    RunnerConfig config = ConfigLoader.load(Files.writeString(dir.resolve("runner.yaml"), """
        queue:
          name: zz-own
        recurring:
          entries:
            digest: {schedule: "0 7 * * 1", queue: zz-digest}
        metrics:
          jvm: false
          queue_length_refresh: 50ms
        """), Map.of());
    try (Components components = Components.create(config)) {
      enqueueOneEach(components.backend(), IntStream.range(0, 101).mapToObj(i -> String.format("q-%03d", i)));
      enqueueOneEach(components.backend(), Stream.of("zz-own", "zz-own", "zz-digest"));

      components.startQueueLengths();

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(components.scrape())
          .contains("queue_length{queue=\"zz-own\"} 2.0", "queue_length{queue=\"zz-digest\"} 1.0",
              "queue_length{queue=\"q-099\"} 1.0", "queue_length{queue=\"other\"} 1.0")
          .doesNotContain("queue_length{queue=\"q-100\"}"));
    }
  }

  @Test
  void metricsQueueTagsReplaceTheFirstQueuesSeenAndFoldIntoTheConfiguredBuckets() {
    RunnerConfig config = config(Map.of("WORKQUEUE_QUEUE_NAME", "zz-own", "WORKQUEUE_METRICS_JVM", "false",
        "WORKQUEUE_METRICS_QUEUE_LENGTH_REFRESH", "50ms", "WORKQUEUE_METRICS_QUEUE_TAGS", "q-2",
        "WORKQUEUE_METRICS_FOLDED_QUEUE_BUCKETS", "2"));
    try (Components components = Components.create(config)) {
      enqueueOneEach(components.backend(), Stream.of("q-0", "q-1", "q-2", "zz-own"));

      components.startQueueLengths();

      List<String> expected = new ArrayList<>(
          List.of("queue_length{queue=\"zz-own\"} 1.0", "queue_length{queue=\"q-2\"} 1.0"));
      Stream.of("q-0", "q-1").collect(Collectors.groupingBy(
              queue -> "other-" + Math.floorMod(queue.hashCode(), 2), Collectors.counting()))
          .forEach((bucket, jobs) -> expected.add("queue_length{queue=\"" + bucket + "\"} " + jobs + ".0"));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(components.scrape())
          .contains(expected).doesNotContain("queue=\"q-0\"", "queue=\"q-1\"", "queue=\"other\""));
    }
  }

  private static void enqueueOneEach(QueueBackend backend, Stream<String> queues) {
    try (Producer producer = Producer.builder(backend).build()) {
      queues.forEach(queue -> producer.enqueue(NewJob.builder("x").queue(queue).build()));
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
