package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class ProducerIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @TempDir
  Path dir;

  private Map<String, String> scanOnce(String redisUrl, String queue) throws Exception {
    Path source = Files.createDirectories(dir.resolve("in"));
    Files.writeString(source.resolve("a.txt"), "a");
    Files.writeString(source.resolve("b.txt"), "b");
    return Map.of("WORKQUEUE_REDIS_URL", redisUrl, "WORKQUEUE_QUEUE_NAME", queue,
        "WORKQUEUE_HTTP_ENABLED", "false", "WORKQUEUE_PRODUCER_SOURCE_DIR", source.toString(),
        "WORKQUEUE_PRODUCER_SOURCE_RESCAN_INTERVAL", "0");
  }

  @Test
  void scanOnceProducerEnqueuesEveryFileAndExitsZero() throws Exception {
    Map<String, String> env = scanOnce(redis.url(), "scan-once");

    RunnerJar.Child producer = RunnerJar.run(dir, env, "", "producer");

    assertThat(producer.exitCode()).as(producer.stderr()).isZero();
    RunnerJar.Child stats = RunnerJar.run(dir, env, "", "admin", "stats", "--json");
    assertThat(AdminJson.queueField(stats.stdout(), "scan-once", "waiting")).isEqualTo(2);
  }

  @Test
  void scanOnceProducerThatCannotReachRedisExitsOne() throws Exception {
    Map<String, String> env = scanOnce("redis://127.0.0.1:" + RedisServer.freePort(), "unreachable");

    RunnerJar.Child producer = RunnerJar.run(dir, env, "", "producer");

    assertThat(producer.exitCode()).as(producer.stderr()).isEqualTo(1);
    assertThat(producer.stderr()).contains("backend unavailable: ");
  }

  /** Each refused enqueue was logged as a problem of its file, and the producer exited 0. */
  @Test
  void scanOnceProducerWhoseEnqueuesRedisRefusesAtMaxmemoryExitsOneNamingTheCause() throws Exception {
    try (RedisServer full = RedisServer.builder()
        .options("--maxmemory", "1", "--maxmemory-policy", "noeviction").start()) {
      Map<String, String> env = scanOnce(full.url(), "full");

      RunnerJar.Child producer = RunnerJar.run(dir, env, "", "producer");

      assertThat(producer.exitCode()).as(producer.stderr()).isEqualTo(1);
      assertThat(producer.stderr()).contains("error: redis enqueue failed: OOM ")
          .doesNotContain("could not enqueue");
    }
  }

  @Test
  void producerGivenAWrongPasswordExitsTwoNamingTheCauseBeforeScanning() throws Exception {
    try (RedisServer locked = RedisServer.builder().password("right").start()) {
      Map<String, String> env = new HashMap<>(scanOnce(locked.url(), "locked"));
      env.put("WORKQUEUE_REDIS_PASSWORD", "not-the-password");

      RunnerJar.Child producer = RunnerJar.run(dir, env, "", "producer");

      assertThat(producer.exitCode()).as(producer.stderr()).isEqualTo(2);
      assertThat(producer.stderr()).contains("error: backend refused: ").contains("WRONGPASS")
          .doesNotContain("could not enqueue").doesNotContain("not-the-password");
    }
  }
}
