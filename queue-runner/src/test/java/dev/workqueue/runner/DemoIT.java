package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.testkit.redis.RedisServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoIT {
  private static final Pattern COMPLETED = Pattern.compile("(?m)^jobs_completed_total\\{queue=\"default\"} (\\S+)$");

  @TempDir
  Path dir;

  @Test
  void allWithoutConfigRunsTheDemoServesHealthAndGrowingMetricsAndStopsWithStatusZero() throws Exception {
    int port = RedisServer.freePort();
    try (RunnerJar.Child runner = RunnerJar.start(dir, Map.of("WORKQUEUE_HTTP_PORT", Integer.toString(port)), "all")) {
      runner.awaitHealthy(port);
      await().atMost(Duration.ofSeconds(30)).until(() -> RunnerJar.status(port, "/readyz") == 200);

      HttpResponse<String> metrics = RunnerJar.get(port, "/metrics");
      assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
      double first = await().atMost(Duration.ofSeconds(30)).until(() -> completed(port), value -> value > 0);
      await().atMost(Duration.ofSeconds(30)).until(() -> completed(port), value -> value > first);
      checkWithPromtoolIfInstalled(RunnerJar.get(port, "/metrics").body());

      runner.terminate();
      assertThat(runner.awaitExit(Duration.ofSeconds(60))).as(runner.stderr()).isZero();
      assertThat(runner.stderr()).contains("generated 5 sample files", "stopped");
    }
  }

  @Test
  void allListensOnPort9090ByDefault() throws Exception {
    Assumptions.assumeTrue(isFree(9090), "port 9090 is taken on this machine");
    try (RunnerJar.Child runner = RunnerJar.start(dir, Map.of(), "all")) {
      runner.awaitHealthy(9090);
      await().atMost(Duration.ofSeconds(30)).until(() -> RunnerJar.status(9090, "/readyz") == 200);
      runner.terminate();
      assertThat(runner.awaitExit(Duration.ofSeconds(60))).as(runner.stderr()).isZero();
    }
  }

  private static double completed(int port) {
    HttpResponse<String> response = RunnerJar.get(port, "/metrics");
    if (response == null) {
      return -1;
    }
    Matcher matcher = COMPLETED.matcher(response.body());
    return matcher.find() ? Double.parseDouble(matcher.group(1)) : -1;
  }

  private void checkWithPromtoolIfInstalled(String scrape) throws IOException, InterruptedException {
    Path promtool = Path.of("/usr/bin/promtool");
    if (!Files.isExecutable(promtool)) {
      return;
    }
    Path file = Files.writeString(dir.resolve("scrape.txt"), scrape);
    Process check = new ProcessBuilder(promtool.toString(), "check", "metrics")
        .redirectInput(file.toFile()).redirectErrorStream(true).start();
    String output = new String(check.getInputStream().readAllBytes());
    assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(check.exitValue()).as("promtool check metrics: " + output).isZero();
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
