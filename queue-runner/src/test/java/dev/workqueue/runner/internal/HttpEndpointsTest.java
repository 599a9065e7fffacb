package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HttpEndpointsTest {
  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
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
