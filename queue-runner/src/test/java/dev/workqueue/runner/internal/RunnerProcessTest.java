package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.runner.internal.config.ConfigLoader;
import dev.workqueue.runner.internal.config.RunnerConfig;
import dev.workqueue.testkit.redis.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunnerProcessTest {
  @TempDir
  Path dir;

  private static String get(int port, String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    return response.statusCode() + " " + response.body();
  }

  @Test
  void workerAndProducerProcessEveryFileOfTheDirectoryAndReportReady() throws Exception {
    for (int i = 0; i < 5; i++) {
      Files.writeString(dir.resolve("file-" + i + ".csv"), "x".repeat(100 * i));
    }
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_PORT", "0",
        "WORKQUEUE_PRODUCER_SOURCE_DIR", dir.toString(), "WORKQUEUE_METRICS_JVM", "false",
        "WORKQUEUE_PRODUCER_SOURCE_PRIORITY_BY_EXTENSION", "csv=high"));
    try (RunnerProcess process = RunnerProcess.start(config, true, true, () -> { })) {
      int port = process.httpPort();
      await().atMost(Duration.ofSeconds(30)).until(() -> get(port, "/metrics"),
          body -> body.contains("jobs_completed_total{queue=\"default\"} 5.0"));
      assertThat(get(port, "/readyz")).isEqualTo("200 ready\n");
      assertThat(get(port, "/healthz")).isEqualTo("200 ok\n");
    }
  }

  @Test
  void scanOnceProducerSaysWhenItIsDone() throws Exception {
    Files.writeString(dir.resolve("a.txt"), "a");
    CountDownLatch finished = new CountDownLatch(1);
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_ENABLED", "false",
        "WORKQUEUE_PRODUCER_SOURCE_DIR", dir.toString(), "WORKQUEUE_PRODUCER_SOURCE_RESCAN_INTERVAL", "0"));
    try (RunnerProcess process = RunnerProcess.start(config, false, true, finished::countDown)) {
      finished.await();
      assertThat(process.httpPort()).isEqualTo(-1);
      process.throwIfSourceFailed();
    }
  }

  @Test
  void scanOnceProducerThatCannotReachTheBackendReportsTheFailure() throws Exception {
    Files.writeString(dir.resolve("a.txt"), "a");
    CountDownLatch finished = new CountDownLatch(1);
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_ENABLED", "false",
        "WORKQUEUE_REDIS_URL", "redis://127.0.0.1:" + RedisServer.freePort(),
        "WORKQUEUE_PRODUCER_SOURCE_DIR", dir.toString(), "WORKQUEUE_PRODUCER_SOURCE_RESCAN_INTERVAL", "0"));
    try (RunnerProcess process = RunnerProcess.start(config, false, true, finished::countDown)) {
      finished.await();

      assertThatThrownBy(process::throwIfSourceFailed).isInstanceOf(BackendUnavailableException.class);
    }
  }

  @Test
  void missingProducerDirectoryIsAConfigurationError() {
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_ENABLED", "false",
        "WORKQUEUE_PRODUCER_SOURCE_DIR", dir.resolve("missing").toString()));

    assertThatThrownBy(() -> RunnerProcess.start(config, false, true, () -> { }))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("producer.source.dir must be an existing directory");
  }
}
