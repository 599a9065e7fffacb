package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.testkit.redis.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShutdownIT {
  private static final int JOBS = 50;

  @TempDir
  Path dir;

  @Test
  void sigtermWithFiftySlowJobsInFlightExitsZeroAndLosesNoJob() throws Exception {
    Assumptions.assumeTrue(RedisServer.isAvailable(), "no redis-server binary");
    Path ledger = dir.resolve("ledger.txt");
    Files.createFile(ledger);
    // Every job logs its start, sleeps for the seconds in its payload, then logs its end: the
    // quick half finishes within the drain timeout, the slow half has to be returned to Redis.
    Path config = Files.writeString(dir.resolve("worker.yaml"), """
        queue:
          name: shutdown
        worker:
          concurrency: %d
          handler: exec
          drain_timeout: 8s
          exec:
            command: 'read seconds; echo "start $WORKQUEUE_JOB_ID" >> %s; sleep $seconds; echo "done $WORKQUEUE_JOB_ID" >> %s'
            timeout: 5m
        """.formatted(JOBS, ledger, ledger));
    try (RedisServer redis = RedisServer.builder().start()) {
      Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(),
          "WORKQUEUE_HTTP_PORT", Integer.toString(RedisServer.freePort()));
      String lines = IntStream.range(0, JOBS)
          .mapToObj(i -> "{\"payload\": \"" + (i % 2 == 0 ? 2 : 300) + "\\n\"}")
          .collect(Collectors.joining("\n"));
      RunnerJar.Child enqueue = RunnerJar.run(dir, env, lines, "enqueue", "--config", config.toString());
      assertThat(enqueue.exitCode()).as(enqueue.stderr()).isZero();
      List<String> ids = enqueue.stdout().lines().toList();
      assertThat(ids).hasSize(JOBS).doesNotHaveDuplicates();

      try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker", "--config", config.toString())) {
        await().atMost(Duration.ofSeconds(60)).until(() -> count(ledger, "start") == JOBS);
        worker.terminate();
        assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isZero();
      }

      RunnerJar.Child stats = RunnerJar.run(dir, env, "", "admin", "stats", "--json");
      long done = count(ledger, "done");
      long waiting = AdminJson.queueField(stats.stdout(), "shutdown", "waiting");
      assertThat(done).isEqualTo(JOBS / 2);
      assertThat(AdminJson.queueField(stats.stdout(), "shutdown", "in_flight")).isZero();
      assertThat(AdminJson.queueField(stats.stdout(), "shutdown", "dead")).isZero();
      assertThat(done + waiting).as("finished plus returned jobs").isEqualTo(JOBS);
      List<String> finished = Files.readAllLines(ledger).stream()
          .filter(line -> line.startsWith("done ")).map(line -> line.substring(5)).toList();
      assertThat(ids).containsAll(finished);
    }
  }

  private static long count(Path ledger, String prefix) throws Exception {
    return Files.readAllLines(ledger).stream().filter(line -> line.startsWith(prefix + " ")).count();
  }
}
