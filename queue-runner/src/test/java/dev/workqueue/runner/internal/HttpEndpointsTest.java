package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HttpEndpointsTest {
  private static HttpRequest request(int port, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build();
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient().send(request(port, path), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void readinessFollowsItsCheckAndMetricsUseThePrometheusContentType() throws Exception {
    AtomicReference<String> reason = new AtomicReference<>("backend unavailable: connection refused\nat x");
    try (HttpEndpoints http = HttpEndpoints.start("127.0.0.1", 0, reason::get, () -> "# empty\n")) {
      int port = http.port();
      assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);

      HttpResponse<String> notReady = get(port, "/readyz");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).isEqualTo("backend unavailable: connection refused at x\n");

      reason.set(null);
      assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);

      HttpResponse<String> metrics = get(port, "/metrics");
      assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(metrics.body()).isEqualTo("# empty\n");
    }
  }

  /** The JDK's server hands a context every path that starts with its own, whatever the method. */
  @Test
  void metricsSwitchedOffAnswerNotFoundRatherThanAnEmptyScrape() throws Exception {
    try (HttpEndpoints http = HttpEndpoints.start("127.0.0.1", 0, () -> null, null)) {
      HttpResponse<String> metrics = get(http.port(), "/metrics");

      assertThat(metrics.statusCode()).isEqualTo(404);
      assertThat(metrics.body()).isEqualTo("metrics are switched off (metrics.enabled: false)\n");
      assertThat(get(http.port(), "/healthz").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void onlyTheExactPathsAnswerAndOnlyGetAndHead() throws Exception {
    try (HttpEndpoints http = HttpEndpoints.start("127.0.0.1", 0, () -> null, () -> "# empty\n")) {
      int port = http.port();
      for (String path : List.of("/healthzz", "/healthz/", "/readyz/deep", "/metricsx", "/")) {
        assertThat(get(port, path).statusCode()).as(path).isEqualTo(404);
      }
      assertThat(get(port, "/readyz?verbose").statusCode()).isEqualTo(200);

      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/metrics")).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
      HttpResponse<String> head = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/healthz")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(head.statusCode()).isEqualTo(200);
    }
  }

  /** As while Redis is paused: each check would block for redis.socket_timeout. */
  @Test
  void healthAndMetricsAnswerAtOnceWhileReadinessChecksHangAndReadinessSaysSoWithinItsWait()
      throws Exception {
    CountDownLatch redisAnswers = new CountDownLatch(1);
    AtomicInteger checks = new AtomicInteger();
    HttpEndpoints.Readiness readiness = () -> {
      checks.incrementAndGet();
      try {
        return redisAnswers.await(1, TimeUnit.MINUTES) ? null : "backend unavailable: timed out";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted";
      }
    };
    try (HttpEndpoints http = HttpEndpoints.start("127.0.0.1", 0, readiness, () -> "# empty\n")) {
      int port = http.port();
      HttpClient client = HttpClient.newHttpClient();
      List<CompletableFuture<HttpResponse<String>>> probes = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        probes.add(client.sendAsync(request(port, "/readyz"), HttpResponse.BodyHandlers.ofString()));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() > 0);

      assertThat(client.send(request(port, "/healthz"), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(200);
      assertThat(client.send(request(port, "/metrics"), HttpResponse.BodyHandlers.ofString()).body())
          .isEqualTo("# empty\n");
      for (CompletableFuture<HttpResponse<String>> probe : probes) {
        HttpResponse<String> notReady = probe.get(10, TimeUnit.SECONDS);
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).isEqualTo("readiness check still running after 1s\n");
      }
      assertThat(checks).as("one check at a time").hasValue(1);

      redisAnswers.countDown();
      await().atMost(Duration.ofSeconds(10)).until(() -> get(port, "/readyz").statusCode() == 200);
    }
  }

  @Test
  void closeReleasesThePortAndASecondCloseDoesNothing() throws Exception {
    HttpEndpoints http = HttpEndpoints.start("127.0.0.1", 0, () -> null, () -> "");
    int port = http.port();

    http.close();
    http.close();

    try (HttpEndpoints again = HttpEndpoints.start("127.0.0.1", port, () -> null, () -> "")) {
      assertThat(get(again.port(), "/healthz").statusCode()).isEqualTo(200);
    }
  }
}
