package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.Job;
import dev.workqueue.JobHandler;
import dev.workqueue.runner.internal.config.ConfigLoader;
import dev.workqueue.runner.internal.config.RunnerConfig;
import dev.workqueue.testkit.redis.RedisServer;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    try (RunnerProcess process = RunnerProcess.start(config, true, true, () -> { }, () -> false)) {
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
    try (RunnerProcess process = RunnerProcess.start(config, false, true, finished::countDown, () -> false)) {
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
    try (RunnerProcess process = RunnerProcess.start(config, false, true, finished::countDown, () -> false)) {
      finished.await();

      assertThatThrownBy(process::throwIfSourceFailed).isInstanceOf(BackendUnavailableException.class);
    }
  }

  @Test
  void missingProducerDirectoryIsAConfigurationError() {
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_ENABLED", "false",
        "WORKQUEUE_PRODUCER_SOURCE_DIR", dir.resolve("missing").toString()));

    assertThatThrownBy(() -> RunnerProcess.start(config, false, true, () -> { }, () -> false))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("producer.source.dir must be an existing directory");
  }

  @Test
  void aHandlerClassNamedByWorkerHandlerRunsTheJobsAndIsClosedOnShutdownAfterThem() throws Exception {
    Path file = Files.writeString(dir.resolve("a.txt"), "a");
    HoldingHandler.CREATED.clear();
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_ENABLED", "false",
        "WORKQUEUE_WORKER_HANDLER", HoldingHandler.class.getName(),
        "WORKQUEUE_PRODUCER_SOURCE_DIR", dir.toString()));
    HoldingHandler handler;
    try (RunnerProcess process = RunnerProcess.start(config, true, true, () -> { }, () -> false)) {
      handler = HoldingHandler.CREATED.remove();
      handler.release.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> handler.finished.contains(file.toString()));
      assertThat(handler.closes).hasValue(0);
    }

    assertThat(HoldingHandler.CREATED).as("one handler per process").isEmpty();
    assertThat(handler.closes).hasValue(1);
    assertThat(handler.finishedWhenClosed).isEqualTo(List.of(file.toString()));
  }

  /** The drain waits for the held job, and /readyz must say why the process is no longer ready. */
  @Test
  void readinessSaysShuttingDownOnceShutdownBegins() throws Exception {
    Path file = Files.writeString(dir.resolve("a.txt"), "a");
    HoldingHandler.CREATED.clear();
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_PORT", "0",
        "WORKQUEUE_METRICS_JVM", "false", "WORKQUEUE_WORKER_DRAIN_TIMEOUT", "5m",
        "WORKQUEUE_WORKER_HANDLER", HoldingHandler.class.getName(),
        "WORKQUEUE_PRODUCER_SOURCE_DIR", dir.toString()));
    try (RunnerProcess process = RunnerProcess.start(config, true, true, () -> { }, () -> false)) {
      HoldingHandler handler = HoldingHandler.CREATED.remove();
      int port = process.httpPort();
      assertThat(handler.started.poll(30, TimeUnit.SECONDS)).isEqualTo(file.toString());
      assertThat(get(port, "/readyz")).isEqualTo("200 ready\n");

      CompletableFuture<Void> closing = CompletableFuture.runAsync(process::close);
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> get(port, "/readyz"),
            "503 shutting down\n"::equals);
      } finally {
        handler.release.countDown();
      }
      closing.get(30, TimeUnit.SECONDS);
      assertThat(handler.finishedWhenClosed).isEqualTo(List.of(file.toString()));
    }
  }

  @Test
  void readinessSaysSoWhenTheMetricsScrapeFails() throws Exception {
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_PORT", "0",
        "WORKQUEUE_METRICS_JVM", "false"));
    PrometheusRegistry prometheus = new PrometheusRegistry();
    try (RunnerProcess process = RunnerProcess.start(config, true, false, () -> { }, () -> false,
        () -> Components.create(config, prometheus))) {
      int port = process.httpPort();
      assertThat(get(port, "/readyz")).isEqualTo("200 ready\n");

      Collector broken = () -> {
        throw new IllegalStateException("collector broke");
      };
      prometheus.register(broken);

      String notReady = get(port, "/readyz");
      assertThat(notReady).startsWith("503 metrics endpoint failing: ").contains("collector broke")
          .endsWith("\n");
      assertThat(notReady.strip()).doesNotContain("\n");
    }
  }

  @Test
  void aHandlerClassWhoseConstructorThrowsIsAConfigurationErrorNamingTheClassAndTheReason() {
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_ENABLED", "false",
        "WORKQUEUE_WORKER_HANDLER", FailingHandler.class.getName()));

    assertHandlerCannotBeCreated(config, FailingHandler.class,
        "java.lang.IllegalStateException: no licence key");
  }

  /** Loading the configuration does not initialize the class; creating the handler does. */
  @Test
  void aHandlerClassWhoseStaticInitializerThrowsIsAConfigurationError() {
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_PORT", "0",
        "WORKQUEUE_WORKER_HANDLER", UninitializableHandler.class.getName()));

    assertHandlerCannotBeCreated(config, UninitializableHandler.class,
        "java.lang.IllegalStateException: no settings file");
  }

  private static void assertHandlerCannotBeCreated(RunnerConfig config, Class<?> handler, String cause) {
    assertThatThrownBy(() -> RunnerProcess.start(config, true, false, () -> { }, () -> false))
        .isInstanceOf(InvalidConfigurationException.class)
        .extracting(e -> ((InvalidConfigurationException) e).problems()).asList()
        .containsExactly("worker.handler class " + handler.getName() + " could not be created: " + cause);
  }

  /** Named by its class in worker.handler: records each job and holds it until released. */
  public static final class HoldingHandler implements JobHandler, AutoCloseable {
    static final BlockingQueue<HoldingHandler> CREATED = new LinkedBlockingQueue<>();

    final BlockingQueue<String> started = new LinkedBlockingQueue<>();
    final List<String> finished = new CopyOnWriteArrayList<>();
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger closes = new AtomicInteger();
    volatile List<String> finishedWhenClosed;

    public HoldingHandler() {
      CREATED.add(this);
    }

    @Override
    public void handle(Job job) throws InterruptedException {
      started.add(job.payloadAsString());
      release.await();
      finished.add(job.payloadAsString());
    }

    @Override
    public void close() {
      finishedWhenClosed = List.copyOf(finished);
      closes.incrementAndGet();
    }
  }

  /** Named by its class in worker.handler: its constructor fails, as one missing its settings would. */
  public static final class FailingHandler implements JobHandler {
    public FailingHandler() {
      throw new IllegalStateException("no licence key");
    }

    @Override
    public void handle(Job job) {}
  }

  /** Named by its class in worker.handler: its static initializer fails. */
  public static final class UninitializableHandler implements JobHandler {
    private static final String SETTINGS = readSettings();

    private static String readSettings() {
      throw new IllegalStateException("no settings file");
    }

    @Override
    public void handle(Job job) {
      job.payloadAsString().concat(SETTINGS);
    }
  }
}
