package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.testkit.redis.RedisServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadinessIT {
  @TempDir
  Path dir;

  /** Without a time limit, each such connection held one of the two HTTP threads for ever. */
  @Test
  void clientsThatSendHalfARequestAndStallDoNotKeepHealthzFromAnswering() throws Exception {
    int httpPort = RedisServer.freePort();
    Map<String, String> env = Map.of("WORKQUEUE_HTTP_PORT", Integer.toString(httpPort),
        "WORKQUEUE_WORKER_HANDLER", "log");
    try (RunnerJar.Child worker = RunnerJar.start(dir, env, "all")) {
      worker.awaitHealthy(httpPort);
      List<Socket> stalled = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          Socket socket = new Socket(InetAddress.getLoopbackAddress(), httpPort);
          byte[] half = "GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);
          socket.getOutputStream().write(half);
          stalled.add(socket);
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> RunnerJar.status(httpPort, "/healthz") == 200);
      } finally {
        for (Socket socket : stalled) {
          socket.close();
        }
      }
      worker.terminate();
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).isZero();
    }
  }

  /** The message was prefixed with the exception's class, as for a bug: java.io.IOException. */
  @Test
  void aTakenHttpPortIsReportedWithItsKeysAndExitsOne() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      RunnerJar.Child worker = RunnerJar.run(dir, Map.of("WORKQUEUE_HTTP_PORT",
          Integer.toString(taken.getLocalPort()), "WORKQUEUE_WORKER_HANDLER", "log"), "", "all");

      assertThat(worker.exitCode()).as(worker.stderr()).isEqualTo(1);
      assertThat(worker.stderr()).contains("error: cannot listen on 127.0.0.1:" + taken.getLocalPort()
          + " (http.bind, http.port): ").doesNotContain("java.io");
    }
  }

  @Test
  void readyOnlyWhileRedisAnswersAndRecoversWithoutRestart() throws Exception {
    Assumptions.assumeTrue(RedisServer.isAvailable(), "no redis-server binary");
    int httpPort = RedisServer.freePort();
    try (RedisServer redis = RedisServer.builder().create()) {
      Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(),
          "WORKQUEUE_HTTP_PORT", Integer.toString(httpPort), "WORKQUEUE_WORKER_HANDLER", "log");
      try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
        worker.awaitHealthy(httpPort);
        HttpResponse<String> notReady = RunnerJar.get(httpPort, "/readyz");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).startsWith("backend unavailable").hasLineCount(1);
        assertThat(RunnerJar.status(httpPort, "/healthz")).isEqualTo(200);
        assertThat(worker.stderr()).contains("WARN  RunnerProcess - backend unavailable: ")
            .contains(" (starting anyway; /readyz answers 503 until the backend answers)");

        redis.startProcess();
        await().atMost(Duration.ofSeconds(5)).until(() -> RunnerJar.status(httpPort, "/readyz") == 200);

        worker.terminate();
        assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isZero();
      }
    }
  }

  /** Redis at its maxmemory answers pings but refuses every enqueue: the producer did no work while ready. */
  @Test
  void aProducerWhoseEnqueuesAreRefusedIsNotReadyUntilAScanSucceeds() throws Exception {
    Assumptions.assumeTrue(RedisServer.isAvailable(), "no redis-server binary");
    int httpPort = RedisServer.freePort();
    Path inbox = Files.createDirectories(dir.resolve("inbox"));
    Files.writeString(inbox.resolve("a.txt"), "a");
    try (RedisServer redis = RedisServer.builder()
        .options("--maxmemory", "1", "--maxmemory-policy", "noeviction").start()) {
      Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(), "WORKQUEUE_QUEUE_NAME", "full",
          "WORKQUEUE_HTTP_PORT", Integer.toString(httpPort),
          "WORKQUEUE_PRODUCER_SOURCE_DIR", inbox.toString(),
          "WORKQUEUE_PRODUCER_SOURCE_RESCAN_INTERVAL", "200ms");
      try (RunnerJar.Child producer = RunnerJar.start(dir, env, "producer")) {
        producer.awaitHealthy(httpPort);
        await().atMost(Duration.ofSeconds(30)).until(() -> RunnerJar.get(httpPort, "/readyz").body(),
            body -> body.startsWith("producer scan failing: backend refused: redis enqueue failed: OOM "));
        assertThat(RunnerJar.status(httpPort, "/readyz")).isEqualTo(503);

        redis.command("CONFIG", "SET", "maxmemory", "0");
        await().atMost(Duration.ofSeconds(30)).until(() -> RunnerJar.status(httpPort, "/readyz") == 200);

        producer.terminate();
        assertThat(producer.awaitExit(Duration.ofSeconds(60))).as(producer.stderr()).isZero();
      }
    }
  }

  /** It started anyway and logged a stack trace every few seconds, retrying what cannot succeed. */
  @Test
  void workerGivenAWrongPasswordExitsTwoWithAOneLineMessageNamingTheCause() throws Exception {
    Assumptions.assumeTrue(RedisServer.isAvailable(), "no redis-server binary");
    try (RedisServer redis = RedisServer.builder().password("right").start()) {
      Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(),
          "WORKQUEUE_REDIS_PASSWORD", "not-the-password", "WORKQUEUE_HTTP_PORT", "0",
          "WORKQUEUE_WORKER_HANDLER", "log");

      try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
        assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isEqualTo(2);
        assertThat(worker.stderr()).containsOnlyOnce("error: backend refused: ").contains("WRONGPASS")
            .doesNotContain("\tat ").doesNotContain("not-the-password").doesNotContain("started on queue");
      }
    }
  }

  /**
   * A SIGTERM that came while the first ping waited on a frozen Redis was only seen after the
   * roles had started: the consumer began fetching and then had to be drained.
   */
  @Test
  void sigtermDuringTheStartUpPingStartsNoRoleAndExitsZero() throws Exception {
    Assumptions.assumeTrue(RedisServer.isAvailable(), "no redis-server binary");
    try (RedisServer redis = RedisServer.builder().start()) {
      Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(),
          "WORKQUEUE_REDIS_SOCKET_TIMEOUT", "15s", "WORKQUEUE_HTTP_PORT", "0",
          "WORKQUEUE_WORKER_HANDLER", "log");
      redis.pause();
      try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
        await().atMost(Duration.ofSeconds(60)).until(() -> worker.stderr().contains("starting worker"));
        worker.terminate();

        assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isZero();
        assertThat(worker.stderr()).doesNotContain("serving /healthz").doesNotContain("started on queue");
      } finally {
        redis.resume();
      }
    }
  }

  /** The reason said "backend unavailable", which sends an operator looking for a network fault. */
  @Test
  void readinessNamesARefusalOfTheBackendAsSuch() throws Exception {
    Assumptions.assumeTrue(RedisServer.isAvailable(), "no redis-server binary");
    int httpPort = RedisServer.freePort();
    try (RedisServer redis = RedisServer.builder().password("right").start()) {
      Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(),
          "WORKQUEUE_HTTP_PORT", Integer.toString(httpPort), "WORKQUEUE_WORKER_HANDLER", "log");
      try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
        worker.awaitHealthy(httpPort);
        await().atMost(Duration.ofSeconds(30)).until(() -> RunnerJar.status(httpPort, "/readyz") == 200);

        // Redis comes back with a rotated password: every new connection is refused.
        redis.close();
        try (RedisServer rotated = RedisServer.builder().port(redis.port()).password("rotated").start()) {
          HttpResponse<String> refused = await().atMost(Duration.ofSeconds(30))
              .until(() -> RunnerJar.get(httpPort, "/readyz"),
                  response -> response != null && response.body().startsWith("backend refused: "));
          assertThat(refused.statusCode()).isEqualTo(503);
          assertThat(refused.body()).contains("WRONGPASS").hasLineCount(1);
        }

        worker.terminate();
        assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isZero();
      }
    }
  }

  @Test
  void healthStaysPromptWhileAPausedRedisHangsReadinessChecks() throws Exception {
    Assumptions.assumeTrue(RedisServer.isAvailable(), "no redis-server binary");
    int httpPort = RedisServer.freePort();
    try (RedisServer redis = RedisServer.builder().start()) {
      Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(),
          "WORKQUEUE_HTTP_PORT", Integer.toString(httpPort), "WORKQUEUE_WORKER_HANDLER", "log");
      try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
        worker.awaitHealthy(httpPort);
        await().atMost(Duration.ofSeconds(30)).until(() -> RunnerJar.status(httpPort, "/readyz") == 200);

        redis.pause();
        try {
          List<CompletableFuture<HttpResponse<String>>> probes = new ArrayList<>();
          for (int i = 0; i < 4; i++) {
            probes.add(CompletableFuture.supplyAsync(() -> RunnerJar.get(httpPort, "/readyz")));
          }
          long start = System.nanoTime();
          for (int i = 0; i < 5; i++) {
            assertThat(RunnerJar.status(httpPort, "/healthz")).isEqualTo(200);
            assertThat(RunnerJar.status(httpPort, "/metrics")).isEqualTo(200);
          }
          assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
          for (CompletableFuture<HttpResponse<String>> probe : probes) {
            HttpResponse<String> notReady = probe.get(10, TimeUnit.SECONDS);
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).hasLineCount(1);
          }
        } finally {
          redis.resume();
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> RunnerJar.status(httpPort, "/readyz") == 200);

        worker.terminate();
        assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isZero();
      }
    }
  }
}
