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

/** {@code recurring.entries}: two workers carry one schedule, and each due time is one job. */
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

  private static Map<String, String> withPort(Map<String, String> env) {
    Map<String, String> withPort = new HashMap<>(env);
    withPort.put("WORKQUEUE_HTTP_PORT", Integer.toString(RedisServer.freePort()));
    return withPort;
  }

  /** The idempotency keys of the recurring jobs waiting in the default lane. */
  private List<String> keys(Map<String, String> env) throws Exception {
    RunnerJar.Child peek = RunnerJar.run(dir, env, "", "admin", "peek", QUEUE, "-n", "1000", "--json");
    Map<?, ?> document = new Yaml().load(peek.stdout());
    List<?> waiting = (List<?>) ((Map<?, ?>) document.get("waiting")).get("default");
    return waiting.stream().map(job -> (String) ((Map<?, ?>) job).get("idempotency_key"))
        .filter(key -> key != null && key.startsWith("recurring:")).toList();
  }
}
