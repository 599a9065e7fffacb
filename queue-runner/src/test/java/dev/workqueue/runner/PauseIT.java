package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code admin pause} and {@code admin resume} against a running worker. */
class PauseIT {
  private static final String QUEUE = "pausable";

  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @TempDir
  Path dir;

  @Test
  void aPausedQueueKeepsItsJobsUntilResumed() throws Exception {
    Map<String, String> env = new HashMap<>(RunnerJar.redisEnv(redis.url(), QUEUE));
    env.put("WORKQUEUE_WORKER_HANDLER", "log");
    assertThat(RunnerJar.run(dir, env, "", "enqueue", "--payload", "before").exitCode()).isZero();
    RunnerJar.Child paused = RunnerJar.run(dir, env, "", "admin", "pause", QUEUE);
    assertThat(paused.exitCode()).as(paused.stderr()).isZero();
    assertThat(paused.stdout()).contains("paused " + QUEUE + ": consumers take none of its jobs");
    RunnerJar.Child again = RunnerJar.run(dir, env, "", "admin", "pause", QUEUE, "--json");
    assertThat(again.stdout().trim())
        .isEqualTo("{\"queue\":\"" + QUEUE + "\",\"paused\":true,\"changed\":false}");

    try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
      await().atMost(Duration.ofSeconds(60)).until(() -> field(env, "consumers") == 1);
      assertThat(RunnerJar.run(dir, env, "", "enqueue", "--payload", "while paused").exitCode()).isZero();
      // The live worker has had time to fetch; a paused queue must still hold both jobs.
      Thread.sleep(1_000);
      assertThat(field(env, "waiting")).isEqualTo(2);
      RunnerJar.Child stats = RunnerJar.run(dir, env, "", "admin", "stats");
      assertThat(stats.stdout()).containsPattern(QUEUE + " .* yes ");

      RunnerJar.Child resumed = RunnerJar.run(dir, env, "", "admin", "resume", QUEUE);
      assertThat(resumed.stdout()).contains("resumed " + QUEUE);
      await().atMost(Duration.ofSeconds(60)).until(() -> field(env, "completed") == 2);
      worker.terminate();
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).isZero();
    }
    RunnerJar.Child notPaused = RunnerJar.run(dir, env, "", "admin", "resume", QUEUE);
    assertThat(notPaused.stdout()).contains(QUEUE + " was not paused");
  }

  private long field(Map<String, String> env, String field) throws Exception {
    RunnerJar.Child stats = RunnerJar.run(dir, env, "", "admin", "stats", "--json");
    return AdminJson.queueField(stats.stdout(), QUEUE, field);
  }
}
