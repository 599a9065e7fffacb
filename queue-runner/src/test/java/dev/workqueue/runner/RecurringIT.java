package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code recurring.entries}: two workers carry one schedule, each due time is one job, and an entry
 * may send its jobs elsewhere.
 */
class RecurringIT {
  private static final String QUEUE = "recurring";

  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @TempDir
  Path dir;

  @Test
  void twoWorkersWithTheSameEntryEnqueueEachDueTimeOnce() throws Exception {
    Path config = Files.writeString(dir.resolve("recurring.yaml"), """
        worker:
          handler: log
        recurring:
          entries:
            tick: "* * * * * *"
        """);
    Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(), "WORKQUEUE_QUEUE_NAME", QUEUE);
    // Paused, the workers only enqueue, and every job they enqueued stays to be counted.
    assertThat(RunnerJar.run(dir, env, "", "enqueue", "--payload", "registers the queue").exitCode())
        .isZero();
    assertThat(RunnerJar.run(dir, env, "", "admin", "pause", QUEUE).exitCode()).isZero();
    try (RunnerJar.Child first = RunnerJar.start(dir, withPort(env), "worker", "--config", config.toString());
        RunnerJar.Child second =
            RunnerJar.start(dir, withPort(env), "worker", "--config", config.toString())) {
      await().atMost(Duration.ofSeconds(60)).until(() -> keys(env).size() >= 4);
      first.terminate();
      second.terminate();
      assertThat(first.awaitExit(Duration.ofSeconds(60))).isZero();
      assertThat(second.awaitExit(Duration.ofSeconds(60))).isZero();
      assertThat(first.stderr()).contains("recurring jobs [tick] enqueued to queue " + QUEUE);
    }

    List<String> keys = keys(env);
    assertThat(keys).doesNotHaveDuplicates().allMatch(key -> key.matches("recurring:tick:\\d+000"));
  }

  @Test
  void anEntryMayEnqueueToAnotherQueueWithItsOwnPriorityAndPayload() throws Exception {
    Path config = Files.writeString(dir.resolve("elsewhere.yaml"), """
        worker:
          handler: log
        recurring:
          entries:
            report:
              schedule: "* * * * * *"
              queue: reports
              priority: high
              payload: weekly totals
        """);
    Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(), "WORKQUEUE_QUEUE_NAME", QUEUE);
    try (RunnerJar.Child worker =
        RunnerJar.start(dir, withPort(env), "worker", "--config", config.toString())) {
      // No consumer serves "reports", so every job enqueued there stays to be read; until the first
      // one, the queue is unknown and peek refuses it.
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        RunnerJar.Child peek = peek(env, "reports");
        return peek.exitCode() == 0 && waiting(peek, "high").size() >= 2;
      });
      worker.terminate();
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).isZero();
      assertThat(worker.stderr()).contains("recurring jobs [report] enqueued to queue reports");
    }

    List<Map<?, ?>> jobs = waiting(env, "reports", "high");
    assertThat(jobs).allSatisfy(job -> {
      assertThat(job.get("payload")).isEqualTo("weekly totals");
      assertThat((String) job.get("idempotency_key")).matches("recurring:report:\\d+000");
    });
    assertThat(waiting(env, "reports", "default")).isEmpty();
  }

  private static Map<String, String> withPort(Map<String, String> env) {
    Map<String, String> withPort = new HashMap<>(env);
    withPort.put("WORKQUEUE_HTTP_PORT", Integer.toString(RedisServer.freePort()));
    return withPort;
  }

  /** The idempotency keys of the recurring jobs waiting in the default lane. */
  private List<String> keys(Map<String, String> env) throws Exception {
    return waiting(env, QUEUE, "default").stream().map(job -> (String) job.get("idempotency_key"))
        .filter(key -> key != null && key.startsWith("recurring:")).toList();
  }

  /** The jobs waiting in {@code lane} of {@code queue}, as {@code admin peek --json} shows them. */
  private List<Map<?, ?>> waiting(Map<String, String> env, String queue, String lane) throws Exception {
    RunnerJar.Child peek = peek(env, queue);
    assertThat(peek.exitCode()).as(peek.stderr()).isZero();
    return waiting(peek, lane);
  }

  private RunnerJar.Child peek(Map<String, String> env, String queue) throws Exception {
    return RunnerJar.run(dir, env, "", "admin", "peek", queue, "-n", "1000", "--json", "--show-payload");
  }

  private static List<Map<?, ?>> waiting(RunnerJar.Child peek, String lane) {
    Map<?, ?> document = new Yaml().load(peek.stdout());
    List<?> jobs = (List<?>) ((Map<?, ?>) document.get("waiting")).get(lane);
    return jobs == null ? List.of() : jobs.stream().<Map<?, ?>>map(job -> (Map<?, ?>) job).toList();
  }
}
