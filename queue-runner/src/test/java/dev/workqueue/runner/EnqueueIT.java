package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.runner.internal.JobLines;
import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class EnqueueIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @TempDir
  Path dir;

  @Test
  void linesWithTimesOutOfRangeAreRejectedByNumberAndTheLinesAfterThemStillEnqueued() throws Exception {
    Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(), "WORKQUEUE_QUEUE_NAME", "ndjson");
    String lines = """
        {"payload": "first"}
        {"payload": "bad", "delay": "999999999999d"}
        {"payload": "bad", "run_at": "+1000000000-01-01T00:00:00Z"}
        {"payload": "last"}
        """;

    RunnerJar.Child enqueue = RunnerJar.run(dir, env, lines, "enqueue");

    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isEqualTo(1);
    assertThat(enqueue.stdout().lines()).hasSize(2);
    assertThat(enqueue.stderr()).contains("line 2: delay must be a duration up to 365d",
        "line 3: run_at must be an ISO-8601 instant", "enqueued 2 jobs, rejected 2 lines");
    RunnerJar.Child stats = RunnerJar.run(dir, env, "", "admin", "stats", "--json");
    assertThat(AdminJson.queueField(stats.stdout(), "ndjson", "waiting")).isEqualTo(2);
  }

  /** A lone Redis has no replica to acknowledge the job, so the enqueue must not report it stored. */
  @Test
  void anEnqueueNoReplicaAcknowledgesFailsAndSaysTheJobMayBeStored() throws Exception {
    Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(), "WORKQUEUE_QUEUE_NAME", "replicated",
        "WORKQUEUE_REDIS_WAIT_FOR_REPLICAS", "1", "WORKQUEUE_REDIS_WAIT_FOR_REPLICAS_TIMEOUT", "100ms");

    RunnerJar.Child enqueue = RunnerJar.run(dir, env, "", "enqueue", "--payload", "report");

    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isEqualTo(1);
    assertThat(enqueue.stderr()).contains("reached 0 of 1 replica(s) within 100ms",
        "the job may have been enqueued: sending it again could enqueue it twice unless it has an --id");
  }

  /** Read whole, such a line exhausted the heap and the command died with a stack trace. */
  @Test
  void aLineLongerThanAnyJobCanBeIsRejectedByNumberWithoutReadingItWhole() throws Exception {
    Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(), "WORKQUEUE_QUEUE_NAME", "long");
    String tooLong = "{\"payload\": \"" + "x".repeat(JobLines.MAX_LINE_CHARS) + "\"}";
    String lines = tooLong + "\n{\"payload\": \"ok\"}\n";

    RunnerJar.Child enqueue = RunnerJar.run(dir, env, lines, "enqueue");

    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isEqualTo(1);
    assertThat(enqueue.stdout().lines()).hasSize(1);
    assertThat(enqueue.stderr()).contains(
        "line 1: must be at most " + JobLines.MAX_LINE_CHARS + " characters, but was longer",
        "enqueued 1 jobs, rejected 1 lines");
  }

  /** The JVM ended the command mid-loop with status 143 and no summary: where to resume was unknown. */
  @Test
  void sigtermStopsReadingLinesAndTheSummarySaysWhereToResume() throws Exception {
    Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(), "WORKQUEUE_QUEUE_NAME", "stopped");
    try (RunnerJar.Child enqueue = RunnerJar.start(dir, env, "enqueue")) {
      OutputStream stdin = enqueue.process().getOutputStream();
      // Kept open, as by a producer that is still writing.
      stdin.write("{\"payload\": \"a\"}\n{\"payload\": \"b\"}\n".getBytes(StandardCharsets.UTF_8));
      stdin.flush();
      await().atMost(Duration.ofSeconds(60)).until(() -> enqueue.stdout().lines().count() == 2);

      // SIGTERM as an operator sends it; Process.destroy() would also close stdin, which reads as the end.
      enqueue.process().toHandle().destroy();

      assertThat(enqueue.awaitExit(Duration.ofSeconds(60))).as(enqueue.stderr()).isEqualTo(1);
      assertThat(enqueue.stderr().lines().reduce((earlier, later) -> later)).hasValue("enqueued 2 jobs, "
          + "rejected 0 lines; stopped by SIGTERM/SIGINT after line 2, later lines were not read");
    }
  }

  @Test
  void lineTheBackendDidNotAnswerInTimeMayHaveBeenEnqueuedAndTheSummaryStillPrints() throws Exception {
    RunnerJar.Child enqueue =
        enqueueWhileRedisIsPaused("{\"payload\": \"a\"}\n{\"payload\": \"b\"}\n", "enqueue");

    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isEqualTo(1);
    assertThat(enqueue.stderr())
        .contains("line 1: backend unavailable", "the job may have been enqueued",
            "could enqueue it twice unless the line has an id or an idempotency_key",
            "enqueued 0 jobs, rejected 0 lines; stopped at line 1")
        .doesNotContain("not enqueued");
  }

  @Test
  void aSingleJobTheBackendDidNotAnswerInTimeMayHaveBeenEnqueued() throws Exception {
    RunnerJar.Child enqueue = enqueueWhileRedisIsPaused("", "enqueue", "--payload", "a");

    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isEqualTo(1);
    assertThat(enqueue.stderr()).contains("backend unavailable", "the job may have been enqueued",
        "could enqueue it twice unless it has an --id or an --idempotency-key");
  }

  /** Each line was reported as rejected and the next one sent, though every one failed alike. */
  @Test
  void linesRedisRefusesAtMaxmemoryStopTheCommandAtTheFirstNamingTheCause() throws Exception {
    Assumptions.assumeTrue(RedisServer.isAvailable(), "no redis-server binary");
    try (RedisServer full = RedisServer.builder()
        .options("--maxmemory", "1", "--maxmemory-policy", "noeviction").start()) {
      Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", full.url());

      RunnerJar.Child enqueue = RunnerJar.run(dir, env,
          "{\"payload\": \"a\", \"max_attempts\": 0}\n{\"payload\": \"b\"}\n{\"payload\": \"c\"}\n",
          "enqueue");

      assertThat(enqueue.exitCode()).as(enqueue.stderr()).isEqualTo(1);
      assertThat(enqueue.stdout()).isEmpty();
      assertThat(enqueue.stderr()).contains("line 1: max_attempts",
          "line 2: not enqueued, backend refused: redis enqueue failed: OOM ")
          .doesNotContain("line 3");
      assertThat(enqueue.stderr().lines().reduce((earlier, later) -> later))
          .hasValue("enqueued 0 jobs, rejected 1 lines; stopped at line 2, later lines were not read");
    }
  }

  /** stdout carried "ID (duplicate idempotency key: not enqueued again)", though no key was given. */
  @Test
  void aJobIdEnqueuedAgainPrintsOnlyTheIdOnStdoutAndTheNoteOnStderr() throws Exception {
    Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", redis.url(), "WORKQUEUE_QUEUE_NAME", "twice");
    RunnerJar.Child first = RunnerJar.run(dir, env, "", "enqueue", "--payload", "a", "--id", "job-7");
    assertThat(first.exitCode()).as(first.stderr()).isZero();

    RunnerJar.Child again = RunnerJar.run(dir, env, "", "enqueue", "--payload", "a", "--id", "job-7");
    RunnerJar.Child line = RunnerJar.run(dir, env, "{\"payload\": \"a\", \"id\": \"job-7\"}\n", "enqueue");

    assertThat(again.exitCode()).as(again.stderr()).isZero();
    assertThat(again.stdout()).isEqualTo("job-7" + System.lineSeparator());
    assertThat(again.stderr()).contains("not enqueued again: queue twice already has job job-7")
        .doesNotContain("idempotency");
    assertThat(line.stdout()).isEqualTo("job-7" + System.lineSeparator());
    assertThat(line.stderr()).contains("line 1: not enqueued again: queue twice already has job job-7");
  }

  /** Runs the jar against a Redis of its own that is paused (SIGSTOP) while the command runs. */
  private RunnerJar.Child enqueueWhileRedisIsPaused(String stdin, String... args) throws Exception {
    Assumptions.assumeTrue(RedisServer.isAvailable(), "no redis-server binary");
    try (RedisServer paused = RedisServer.builder().start()) {
      Map<String, String> env = Map.of("WORKQUEUE_REDIS_URL", paused.url(),
          "WORKQUEUE_REDIS_SOCKET_TIMEOUT", "300ms");
      paused.pause();
      try {
        return RunnerJar.run(dir, env, stdin, args);
      } finally {
        paused.resume();
      }
    }
  }
}
