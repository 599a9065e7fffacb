package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.workqueue.testkit.redis.RedisServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TracingIT {
  @TempDir
  Path dir;

  @Test
  void enabledTracingExportsSpansOverOtlpHttp() throws Exception {
    CopyOnWriteArrayList<String> exports = new CopyOnWriteArrayList<>();
    HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    collector.createContext("/v1/traces", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      exports.add(exchange.getRequestMethod() + " " + exchange.getRequestHeaders().getFirst("Content-Type")
          + " " + body.length + " " + new String(body, java.nio.charset.StandardCharsets.ISO_8859_1));
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    collector.start();
    int httpPort = RedisServer.freePort();
    try (RunnerJar.Child runner = RunnerJar.start(dir, Map.of(
        "WORKQUEUE_HTTP_PORT", Integer.toString(httpPort),
        "WORKQUEUE_TRACING_ENABLED", "true",
        "WORKQUEUE_TRACING_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces"),
        "all")) {
      runner.awaitHealthy(httpPort);
      await().atMost(Duration.ofSeconds(60)).until(() -> !exports.isEmpty());
      runner.terminate();
      assertThat(runner.awaitExit(Duration.ofSeconds(60))).isZero();
    } finally {
      collector.stop(0);
    }
    assertThat(exports.get(0)).startsWith("POST application/x-protobuf")
        .contains("workqueue-runner", "send default", "process default");
  }
}
