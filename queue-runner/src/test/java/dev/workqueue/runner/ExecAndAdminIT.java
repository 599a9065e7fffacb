package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.testkit.redis.RedisServerExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

class ExecAndAdminIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @TempDir
  Path dir;

  private Map<String, String> env(String queue) {
    return RunnerJar.redisEnv(redis.url(), queue);
  }

  @Test
  void failingCommandIsRetriedThenDeadLetteredWithItsExitCodeAndPurgeNeedsYes() throws Exception {
    Path config = Files.writeString(dir.resolve("exec.yaml"), """
        worker:
          handler: exec
          exec:
            command: 'echo "attempt $WORKQUEUE_ATTEMPT of $WORKQUEUE_JOB_ID on $WORKQUEUE_QUEUE: $(cat)"; exit 1'
          retry:
            max_attempts: 2
            initial_backoff: 100ms
        """);
    Map<String, String> env = env("exec-fails");
    RunnerJar.Child enqueue = RunnerJar.run(dir, env, "", "enqueue", "--payload", "report-42");
    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isZero();
    String jobId = enqueue.stdout().trim();

    try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker", "--config", config.toString())) {
      await().atMost(Duration.ofSeconds(60)).until(() -> dead(env, "exec-fails") == 1);
      // The command's output is logged, each line with the job's ids.
      assertThat(worker.stderr())
          .contains("stdout - attempt 1 of " + jobId + " on exec-fails: report-42 job_id=" + jobId
              + " queue=exec-fails attempt=1")
          .contains("stdout - attempt 2 of " + jobId + " on exec-fails: report-42 job_id=" + jobId
              + " queue=exec-fails attempt=2");
      assertThat(worker.stdout()).isEmpty();
      worker.terminate();
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).isZero();
    }
    RunnerJar.Child peek = RunnerJar.run(dir, env, "", "admin", "peek", "exec-fails", "--json");
    assertThat(peek.stdout()).contains("\"id\":\"" + jobId + "\"", "\"attempt\":2", "exit code 1");

    RunnerJar.Child refused = RunnerJar.run(dir, env, "", "admin", "purge-dlq");
    assertThat(refused.exitCode()).isEqualTo(3);
    assertThat(refused.stderr()).contains("refused", "--yes", "Nothing was changed");
    assertThat(dead(env, "exec-fails")).isEqualTo(1);

    RunnerJar.Child purged = RunnerJar.run(dir, env, "", "admin", "purge-dlq", "--yes");
    assertThat(purged.exitCode()).as(purged.stderr()).isZero();
    assertThat(purged.stdout()).contains("removed 1 dead letters from exec-fails");
    assertThat(dead(env, "exec-fails")).isZero();
  }

  /** A key of the wrong type in one queue made the whole command fail, naming no queue. */
  @Test
  void statsShowsEveryReadableQueueAndNamesTheOneRedisRefusesToRead() throws Exception {
    Map<String, String> env = env("stats-readable");
    assertThat(RunnerJar.run(dir, env, "", "enqueue", "--payload", "x").exitCode()).isZero();
    assertThat(RunnerJar.run(dir, env, "", "enqueue", "--payload", "x", "--queue", "stats-broken")
        .exitCode()).isZero();
    String lane = "wq:v1:{stats-broken}:lane:default";
    redis.server().command("DEL", lane);
    redis.server().command("SET", lane, "written by hand");
    try {
      RunnerJar.Child stats = RunnerJar.run(dir, env, "", "admin", "stats", "--json");

      assertThat(stats.exitCode()).as(stats.stderr()).isEqualTo(1);
      assertThat(AdminJson.queueField(stats.stdout(), "stats-readable", "waiting")).isEqualTo(1);
      assertThat(stats.stdout()).doesNotContain("stats-broken");
      assertThat(stats.stderr()).contains("queue stats-broken: stats failed: ", "WRONGTYPE");
    } finally {
      redis.server().command("DEL", lane); // the other tests read stats of this server too
    }
  }

  /** Printed as they were, a line break faked a line of the listing and ESC drove the terminal. */
  @Test
  void peekWritesControlCharactersOfPayloadsAsEscapes() throws Exception {
    Map<String, String> env = env("peek-escapes");
    String line = "{\"payload\": \"a\\n  forged-job priority=high\\u001b[31m\"}\n";
    assertThat(RunnerJar.run(dir, env, line, "enqueue").exitCode()).isZero();

    RunnerJar.Child peek = RunnerJar.run(dir, env, "", "admin", "peek", "peek-escapes", "--show-payload");

    assertThat(peek.exitCode()).as(peek.stderr()).isZero();
    assertThat(peek.stdout()).contains(" payload=a\\n  forged-job priority=high\\u001b[31m\n")
        .doesNotContain("\u001b");
    assertThat(peek.stdout().lines()).noneMatch(text -> text.startsWith("  forged-job"));
  }

  @Test
  void commandPastItsTimeoutIsKilledWithItsChildren() throws Exception {
    Path pidFile = dir.resolve("sleeper.pid");
    Path config = Files.writeString(dir.resolve("slow.yaml"), """
        worker:
          handler: exec
          exec:
            command: 'sleep 120 & echo $! > %s; wait'
            timeout: 1s
          retry:
            max_attempts: 1
        """.formatted(pidFile));
    Map<String, String> env = env("exec-slow");
    assertThat(RunnerJar.run(dir, env, "", "enqueue", "--payload", "x").exitCode()).isZero();

    try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker", "--config", config.toString())) {
      await().atMost(Duration.ofSeconds(60)).until(() -> dead(env, "exec-slow") == 1);
      long sleeper = Long.parseLong(Files.readString(pidFile).trim());
      await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(sleeper).map(p -> !p.isAlive()).orElse(true));
      worker.terminate();
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).isZero();
    }
    RunnerJar.Child peek = RunnerJar.run(dir, env, "", "admin", "peek", "exec-slow", "--json");
    assertThat(peek.stdout()).contains("timed out after 1000ms and was killed");
  }

  @Test
  void deadLetterLimitKeepsTheNewestDeadLettersOfTheQueue() throws Exception {
    Path config = Files.writeString(dir.resolve("limited.yaml"), """
        queue:
          dead_letter_limit: 2
        worker:
          handler: exec
          concurrency: 1
          exec:
            command: 'echo "ran $(cat)"; exit 1'
          retry:
            max_attempts: 1
        """);
    Map<String, String> env = env("exec-limited");
    List<String> ids = new ArrayList<>();
    for (String payload : List.of("first", "second", "third")) {
      RunnerJar.Child enqueue = RunnerJar.run(dir, env, "", "enqueue", "--payload", payload);
      assertThat(enqueue.exitCode()).as(enqueue.stderr()).isZero();
      ids.add(enqueue.stdout().trim());
    }

    try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker", "--config", config.toString())) {
      await().atMost(Duration.ofSeconds(60)).until(() -> worker.stderr().contains("ran third")
          && queueField(env, "exec-limited", "in_flight") == 0);
      worker.terminate();
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).isZero();
    }
    assertThat(dead(env, "exec-limited")).isEqualTo(2);
    RunnerJar.Child peek = RunnerJar.run(dir, env, "", "admin", "peek", "exec-limited", "--json");
    assertThat(peek.stdout()).doesNotContain(ids.get(0)).contains(ids.get(1), ids.get(2));
  }

  /** Declining on a terminal was answered "confirm on a terminal or pass --yes", as if there were none. */
  @Test
  void purgeDeclinedOnATerminalSaysItWasNotConfirmed() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "no script(1) for a terminal");
    RunnerJar.Child enqueue = RunnerJar.run(dir, env("declined"), "", "enqueue", "--payload", "kept");
    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isZero();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // script(1) runs the command on a pseudo-terminal, so the runner finds a console and asks.
    ProcessBuilder builder = new ProcessBuilder("/usr/bin/script", "-qec",
        java + " -jar " + RunnerJar.jar().toAbsolutePath() + " admin purge-dlq declined", "/dev/null")
        .directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("terminal.log").toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("WORKQUEUE_"));
    builder.environment().put("WORKQUEUE_REDIS_URL", redis.url());
    Process purge = builder.start();
    try (var in = purge.getOutputStream()) {
      in.write("n\n".getBytes(StandardCharsets.UTF_8));
    }

    assertThat(purge.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String terminal = Files.readString(dir.resolve("terminal.log"));
    assertThat(purge.exitValue()).as(terminal).isEqualTo(3);
    assertThat(terminal).contains("Delete all 0 dead letters of queue declined for good? [y/N]",
        "not confirmed: no dead letters were deleted").doesNotContain("confirm on a terminal");
  }

  private long dead(Map<String, String> env, String queue) throws Exception {
    return queueField(env, queue, "dead");
  }

  private long queueField(Map<String, String> env, String queue, String field) throws Exception {
    RunnerJar.Child stats = RunnerJar.run(dir, env, "", "admin", "stats", "--json");
    return AdminJson.queueField(stats.stdout(), queue, field);
  }
}
