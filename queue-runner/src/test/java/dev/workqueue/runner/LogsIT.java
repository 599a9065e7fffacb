package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.json.JSONObject;
import org.json.JSONParserConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The worker's log names the job in every line it writes for one, in text and in JSON. */
class LogsIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  private static final String TIMESTAMP =
      "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)";

  @TempDir
  Path dir;

  @Test
  void textLinesOfAJobEndWithItsIdsAndDebugLevelFromTheFileShowsTheConsumersOwnLines() throws Exception {
    Map<String, String> env = env("logs-text");
    String jobId = enqueue(env);
    Map<String, String> traced = new HashMap<>(env);
    traced.put("WORKQUEUE_TRACING_ENABLED", "true");
    // Nothing listens there: spans are recorded, so the ids are set, and their export fails.
    traced.put("WORKQUEUE_TRACING_OTLP_ENDPOINT",
        "http://127.0.0.1:" + RedisServer.freePort() + "/v1/traces");
    Path config = Files.writeString(dir.resolve("debug.yaml"), "log:\n  level: debug\n");

    try (RunnerJar.Child worker = RunnerJar.start(dir, traced, "worker", "--config", config.toString())) {
      String handled = await().atMost(Duration.ofSeconds(60))
          .until(() -> line(worker.stderr(), "LogHandler - job handled"), Optional::isPresent).get();
      worker.terminate();
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isZero();

      String ids = " job_id=" + jobId + " queue=logs-text attempt=1";
      assertThat(handled).matches(TIMESTAMP + " \\[\\S+] INFO  LogHandler - job handled "
          + "priority=default payload=9 bytes" + ids + " trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16}");
      assertThat(line(worker.stderr(), " DEBUG DefaultConsumer - running job " + jobId))
          .hasValueSatisfying(running -> assertThat(running).endsWith(ids));
      assertThat(worker.stderr().lines().filter(text -> !text.contains(jobId)))
          .as("lines written for no job").isNotEmpty().noneMatch(text -> text.contains("_id="));
      assertThat(worker.stdout()).isEmpty();
      // Which build runs, for whoever reads the log of a fleet being upgraded
      assertThat(line(worker.stderr(), "RunnerProcess - starting worker on queue logs-text"))
          .hasValueSatisfying(start -> assertThat(start).matches(".* \\(queue-runner \\d\\S*, Java \\S+\\)"));
    }
  }

  @Test
  void jsonFormatWritesEveryLineAsAnObjectWithTheJobsIdsInItsMdc() throws Exception {
    Map<String, String> env = new HashMap<>(env("logs-json"));
    env.put("WORKQUEUE_LOG_FORMAT", "json");
    String jobId = enqueue(env);
    // The exporter's complaint that nothing listens (after its retries, some 15 s) comes through
    // java.util.logging: it must be an object like every other line.
    env.put("WORKQUEUE_TRACING_ENABLED", "true");
    env.put("WORKQUEUE_TRACING_OTLP_ENDPOINT", "http://127.0.0.1:" + RedisServer.freePort() + "/v1/traces");

    try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
      await().atMost(Duration.ofSeconds(90)).until(() -> line(worker.stderr(), "job handled").isPresent()
          && line(worker.stderr(), "\"loggerName\":\"io.opentelemetry.").isPresent());
      worker.terminate();
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isZero();

      List<JSONObject> events = worker.stderr().lines().map(LogsIT::parse).toList();
      assertThat(events).hasSizeGreaterThan(1).allSatisfy(event -> {
        assertThat(event.getLong("timestamp")).isPositive();
        assertThat(event.getString("level")).isIn("INFO", "WARN", "ERROR");
        assertThat(event.getJSONObject("mdc")).isNotNull();
      });
      JSONObject handled = events.stream()
          .filter(event -> event.getString("formattedMessage").startsWith("job handled")).findFirst().get();
      assertThat(handled.getString("loggerName"))
          .isEqualTo("dev.workqueue.runner.internal.handler.LogHandler");
      assertThat(handled.getJSONObject("mdc").toMap()).containsEntry("job_id", jobId)
          .containsEntry("queue", "logs-json").containsEntry("attempt", "1");
      assertThat(events)
          .anySatisfy(event -> assertThat(event.getString("loggerName")).startsWith("io.opentelemetry"));
      assertThat(worker.stdout()).isEmpty();
    }
  }

  @Test
  void inJsonFormatTheErrorThatEndsTheProcessIsAnObjectToo() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Map<String, String> env = new HashMap<>(env("logs-json-error"));
      env.put("WORKQUEUE_LOG_FORMAT", "json");
      env.put("WORKQUEUE_HTTP_ENABLED", "true");
      env.put("WORKQUEUE_HTTP_PORT", Integer.toString(taken.getLocalPort()));

      RunnerJar.Child worker = RunnerJar.run(dir, env, "", "worker");

      assertThat(worker.exitCode()).as(worker.stderr()).isEqualTo(1);
      List<JSONObject> events = worker.stderr().lines().map(LogsIT::parse).toList();
      JSONObject last = events.get(events.size() - 1);
      assertThat(last.getString("level")).isEqualTo("ERROR");
      assertThat(last.getString("formattedMessage"))
          .startsWith("error: cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  private static Map<String, String> env(String queue) {
    return Map.of("WORKQUEUE_REDIS_URL", redis.url(), "WORKQUEUE_QUEUE_NAME", queue,
        "WORKQUEUE_WORKER_HANDLER", "log", "WORKQUEUE_HTTP_ENABLED", "false");
  }

  private String enqueue(Map<String, String> env) throws Exception {
    RunnerJar.Child enqueue = RunnerJar.run(dir, env, "", "enqueue", "--payload", "report-42");
    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isZero();
    return enqueue.stdout().trim();
  }

  private static Optional<String> line(String text, String part) {
    return text.lines().filter(line -> line.contains(part)).findFirst();
  }

  private static JSONObject parse(String line) {
    return new JSONObject(line, new JSONParserConfiguration().withStrictMode());
  }
}
