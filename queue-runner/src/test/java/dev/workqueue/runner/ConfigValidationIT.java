package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigValidationIT {
  @TempDir
  Path dir;

  @Test
  void configWithThreeMistakesPrintsAllThreeWithTheirPathsAndExitsTwoWithoutTouchingRedis() throws Exception {
    try (ServerSocket fakeRedis = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Path config = Files.writeString(dir.resolve("bad.yaml"), """
          redis:
            url: redis://app:hunter2@127.0.0.1:%d
          worker:
            concurrency: -3
            job_timeout: ten seconds
            handlr: log
          """.formatted(fakeRedis.getLocalPort()));

      RunnerJar.Child runner = RunnerJar.run(dir, Map.of(), "", "worker", "--config", config.toString());

      assertThat(runner.exitCode()).isEqualTo(2);
      assertThat(runner.stderr())
          .contains("invalid configuration (3 problems)")
          .contains("worker.handlr is not a known key")
          .contains("worker.concurrency must be an integer from 1 to 1024, but was -3")
          .contains("worker.job_timeout must be a positive duration", "but was \"ten seconds\"")
          .doesNotContain("hunter2");
      fakeRedis.setSoTimeout(200);
      try {
        fakeRedis.accept().close();
        throw new AssertionError("the runner connected to redis.url despite the invalid configuration");
      } catch (SocketTimeoutException expected) {
        // nothing connected
      }
    }
  }

  /** The directory is checked when the producer starts, after the shutdown hook is installed. */
  /** Two keys' empty defaults are one object, which the YAML printer showed as &id001 and *id001. */
  @Test
  void configPrintsEveryValueInPlaceWithoutYamlAnchorsAndItsOutputLoadsAgain() throws Exception {
    RunnerJar.Child config = RunnerJar.run(dir, Map.of(), "", "config");

    assertThat(config.exitCode()).as(config.stderr()).isZero();
    assertThat(config.stdout()).doesNotContain("&id", "*id")
        .contains("  weights: {}\n", "    priority_by_extension: {}\n");
    Path printed = Files.writeString(dir.resolve("printed.yaml"), config.stdout());
    RunnerJar.Child again = RunnerJar.run(dir, Map.of(), "", "config", "--config", printed.toString());
    assertThat(again.exitCode()).as(again.stderr()).isZero();
    assertThat(again.stdout()).isEqualTo(config.stdout());
  }

  @Test
  void missingProducerDirectoryFoundAtStartExitsTwo() throws Exception {
    RunnerJar.Child runner = RunnerJar.run(dir, Map.of("WORKQUEUE_PRODUCER_SOURCE_DIR",
        dir.resolve("missing").toString(), "WORKQUEUE_HTTP_ENABLED", "false"), "", "all");

    assertThat(runner.exitCode()).as(runner.stderr()).isEqualTo(2);
    assertThat(runner.stderr()).contains("invalid configuration (1 problem)",
        "producer.source.dir must be an existing directory");
  }
}
