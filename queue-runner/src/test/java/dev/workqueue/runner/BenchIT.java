package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class BenchIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @TempDir
  Path dir;

  @Test
  void benchRefusesAQueueWithJobsWaitingAndLeavesThemAlone() throws Exception {
    Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url());
    RunnerJar.Child enqueue = RunnerJar.run(dir, env, "{\"payload\": \"a\"}\n{\"payload\": \"b\"}\n"
        + "{\"payload\": \"c\"}\n", "enqueue", "--queue", "real");
    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isZero();

    RunnerJar.Child bench = RunnerJar.run(dir, env, "", "bench", "-n", "5", "--queue", "real");

    assertThat(bench.exitCode()).as(bench.stderr()).isEqualTo(2);
    assertThat(bench.stderr()).contains("--queue must name a queue that holds no jobs",
        "\"real\" holds 3 waiting, 0 delayed and 0 in flight");
    RunnerJar.Child stats = RunnerJar.run(dir, env, "", "admin", "stats", "--json");
    assertThat(AdminJson.queueField(stats.stdout(), "real", "waiting")).isEqualTo(3);
    assertThat(AdminJson.queueField(stats.stdout(), "real", "completed")).isZero();
  }

  @Test
  void benchRunsOnAQueueOfItsOwnAndCanRunThereAgain() throws Exception {
    Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url());

    for (int run = 1; run <= 2; run++) {
      RunnerJar.Child bench =
          RunnerJar.run(dir, env, "", "bench", "-n", "20", "--queue", "bench-it", "--json");

      assertThat(bench.exitCode()).as("run " + run + ": " + bench.stderr()).isZero();
      assertThat(bench.stdout()).contains("\"processed\":20");
    }
  }
}
