package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.redis.RedisQueueBackend;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What a runner's {@code /metrics} says about its queue and consumer, read from a real Redis. */
class MetricsIT {
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @TempDir
  Path dir;

  @Test
  void queueLengthFollowsTheBackendBesideTheWorkersGauges() throws Exception {
    Map<String, String> env = runnerEnv("followed");
    env.put("WORKQUEUE_WORKER_HANDLER", "log");
    env.put("WORKQUEUE_WORKER_CIRCUIT_BREAKER_ENABLED", "true");
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).build()) {
      backend.setPaused("followed", true);
      enqueueOneEach(backend, Stream.of("followed", "followed", "followed"));

      try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
        int port = Integer.parseInt(env.get("WORKQUEUE_HTTP_PORT"));
        worker.awaitHealthy(port);
        awaitSamples(port, "queue_length{queue=\"followed\"} 3.0", "queue_paused{queue=\"followed\"} 1.0",
            "worker_active{consumer=\"worker\",queue=\"followed\"} 0.0",
            "circuit_breaker_state{consumer=\"worker\",queue=\"followed\"} 0.0");

        enqueueOneEach(backend, Stream.of("followed", "followed"));
        awaitSamples(port, "queue_length{queue=\"followed\"} 5.0");

        backend.setPaused("followed", false);
        awaitSamples(port, "jobs_completed_total{queue=\"followed\"} 5.0",
            "queue_length{queue=\"followed\"} 0.0", "queue_paused{queue=\"followed\"} 0.0",
            "worker_active{consumer=\"worker\",queue=\"followed\"} 0.0",
            "circuit_breaker_state{consumer=\"worker\",queue=\"followed\"} 0.0");
        worker.terminate();
        assertThat(worker.awaitExit(PATIENCE)).as(worker.stderr()).isZero();
      }
    }
  }

  @Test
  void workerActiveCountsARunningJobAndTheBreakerShowsOpenOnceItFailed() throws Exception {
    Path release = dir.resolve("release");
    Map<String, String> env = runnerEnv("breaking");
    env.put("WORKQUEUE_WORKER_HANDLER", "exec");
    env.put("WORKQUEUE_WORKER_EXEC_COMMAND", "while [ ! -e '" + release + "' ]; do sleep 0.1; done; exit 1");
    env.put("WORKQUEUE_WORKER_CONCURRENCY", "1");
    env.put("WORKQUEUE_WORKER_RETRY_MAX_ATTEMPTS", "1");
    env.put("WORKQUEUE_WORKER_CIRCUIT_BREAKER_ENABLED", "true");
    env.put("WORKQUEUE_WORKER_CIRCUIT_BREAKER_MINIMUM_SAMPLES", "1");
    env.put("WORKQUEUE_WORKER_CIRCUIT_BREAKER_FAILURE_RATE", "1");
    env.put("WORKQUEUE_WORKER_CIRCUIT_BREAKER_COOLDOWN", "1h");
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).build()) {
      enqueueOneEach(backend, Stream.of("breaking"));
    }

    try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
      int port = Integer.parseInt(env.get("WORKQUEUE_HTTP_PORT"));
      worker.awaitHealthy(port);
      awaitSamples(port, "worker_active{consumer=\"worker\",queue=\"breaking\"} 1.0",
          "circuit_breaker_state{consumer=\"worker\",queue=\"breaking\"} 0.0");

      Files.createFile(release);
      awaitSamples(port, "worker_active{consumer=\"worker\",queue=\"breaking\"} 0.0",
          "circuit_breaker_state{consumer=\"worker\",queue=\"breaking\"} 2.0",
          "queue_dead_letters{queue=\"breaking\"} 1.0");
      worker.terminate();
      assertThat(worker.awaitExit(PATIENCE)).as(worker.stderr()).isZero();
    }
  }

  /**
   * A producer-only runner starts reading queue lengths before it enqueues, and reads queues in
   * name order: its own queue, sorting after 100 others, was folded into {@code other} once the
   * first read had given their places away.
   */
  @Test
  void aProducersOwnQueueKeepsItsTagWhenMoreQueuesThanTheLimitSortBeforeIt() throws Exception {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).build()) {
      enqueueOneEach(backend, IntStream.range(0, 101).mapToObj(i -> String.format("many-%03d", i)));
    }
    Path source = Files.createDirectories(dir.resolve("in"));
    Map<String, String> env = runnerEnv("zz-own");
    env.put("WORKQUEUE_PRODUCER_SOURCE_DIR", source.toString());
    env.put("WORKQUEUE_PRODUCER_SOURCE_RESCAN_INTERVAL", "100ms");

    try (RunnerJar.Child producer = RunnerJar.start(dir, env, "producer")) {
      int port = Integer.parseInt(env.get("WORKQUEUE_HTTP_PORT"));
      producer.awaitHealthy(port);
      // Once the first read is published, every queue in Redis has been given its tag.
      awaitSamples(port, "queue_length{queue=\"many-099\"} 1.0", "queue_length{queue=\"other\"} 1.0");
      for (String name : new String[] {"a.txt", "b.txt"}) {
        // Hidden until renamed: a scan that saw it empty, then written, would enqueue it twice.
        Files.move(Files.writeString(source.resolve("." + name), name), source.resolve(name),
            StandardCopyOption.ATOMIC_MOVE);
      }

      awaitSamples(port, "queue_length{queue=\"zz-own\"} 2.0", "jobs_produced_total{queue=\"zz-own\"} 2.0",
          "queue_length{queue=\"many-099\"} 1.0", "queue_length{queue=\"other\"} 1.0");
      assertThat(scrape(port)).doesNotContain("many-100", "worker_active");
      producer.terminate();
      assertThat(producer.awaitExit(PATIENCE)).as(producer.stderr()).isZero();
    }
  }

  private static Map<String, String> runnerEnv(String queue) {
    Map<String, String> env = new HashMap<>(RunnerJar.redisEnv(redis.url(), queue));
    env.put("WORKQUEUE_METRICS_QUEUE_LENGTH_REFRESH", "100ms");
    env.put("WORKQUEUE_METRICS_JVM", "false");
    return env;
  }

  private static void enqueueOneEach(RedisQueueBackend backend, Stream<String> queues) {
    try (Producer producer = Producer.builder(backend).build()) {
      queues.forEach(queue -> producer.enqueue(NewJob.builder("x").queue(queue).build()));
    }
  }

  private static void awaitSamples(int port, String... samples) {
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(scrape(port).lines()).contains(samples));
  }

  private static String scrape(int port) {
    HttpResponse<String> response = RunnerJar.get(port, "/metrics");
    return response == null ? "" : response.body();
  }
}
