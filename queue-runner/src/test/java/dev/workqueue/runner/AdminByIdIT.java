package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.workqueue.DeadLetter;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.redis.RedisQueueBackend;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code admin delete}, {@code purge-dlq} and {@code requeue-dlq} with {@code --id}, and
 * {@code requeue-dlq} of the oldest dead letters without it.
 */
class AdminByIdIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @TempDir
  Path dir;

  private Map<String, String> env(String queue) {
    return RunnerJar.redisEnv(redis.url(), queue);
  }

  @Test
  void deleteRemovesOneWaitingJobOnlyWhenConfirmed() throws Exception {
    Map<String, String> env = env("delete-one");
    String kept = enqueue(env, "kept");
    String doomed = enqueue(env, "doomed");

    RunnerJar.Child refused = RunnerJar.run(dir, env, "", "admin", "delete", "delete-one", doomed);
    assertThat(refused.exitCode()).as(refused.stderr()).isEqualTo(3);
    assertThat(refused.stderr()).contains("refused: delete removes a job for good", "--yes",
        "Nothing was changed");
    assertThat(field(env, "delete-one", "waiting")).isEqualTo(2);

    RunnerJar.Child deleted = RunnerJar.run(dir, env, "", "admin", "delete", "delete-one", doomed, "--yes");
    assertThat(deleted.exitCode()).as(deleted.stderr()).isZero();
    assertThat(deleted.stdout()).contains("deleted 1 jobs with id " + doomed + " from delete-one");
    RunnerJar.Child peek = RunnerJar.run(dir, env, "", "admin", "peek", "delete-one", "--json");
    assertThat(peek.stdout()).contains(kept).doesNotContain(doomed);

    RunnerJar.Child again = RunnerJar.run(dir, env, "", "admin", "delete", "delete-one", doomed, "--yes",
        "--json");
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.stdout().trim())
        .isEqualTo("{\"queue\":\"delete-one\",\"id\":\"" + doomed + "\",\"deleted\":0}");
    assertThat(again.stderr()).contains("no waiting or delayed job " + doomed + " in queue delete-one");

    RunnerJar.Child typo = RunnerJar.run(dir, env, "", "admin", "delete", "delete-on", kept, "--yes");
    assertThat(typo.exitCode()).isEqualTo(1);
    assertThat(typo.stderr()).contains("delete-on");
    assertThat(field(env, "delete-one", "waiting")).isEqualTo(1);
  }

  @Test
  void deadLettersOfOneJobArePurgedOrRequeuedById() throws Exception {
    Map<String, String> env = env("dead-by-id");
    List<String> ids = deadLetters("dead-by-id", 3);

    RunnerJar.Child requeued = RunnerJar.run(dir, env, "", "admin", "requeue-dlq", "--id", ids.get(0));
    assertThat(requeued.exitCode()).as(requeued.stderr()).isZero();
    assertThat(requeued.stdout()).contains("requeued 1 dead letters of job " + ids.get(0) + " of dead-by-id");

    RunnerJar.Child both = RunnerJar.run(dir, env, "", "admin", "requeue-dlq", "--id", ids.get(1), "-n", "5");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.stderr()).contains("--limit");

    RunnerJar.Child unconfirmed = RunnerJar.run(dir, env, "", "admin", "purge-dlq", "--id", ids.get(1));
    assertThat(unconfirmed.exitCode()).isEqualTo(3);
    RunnerJar.Child purged = RunnerJar.run(dir, env, "", "admin", "purge-dlq", "--id", ids.get(1), "--yes");
    assertThat(purged.exitCode()).as(purged.stderr()).isZero();
    assertThat(purged.stdout()).contains("removed 1 dead letters of job " + ids.get(1) + " from dead-by-id");

    RunnerJar.Child missing = RunnerJar.run(dir, env, "", "admin", "purge-dlq", "--id", "no-such-job",
        "--yes", "--json");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.stdout().trim())
        .isEqualTo("{\"queue\":\"dead-by-id\",\"id\":\"no-such-job\",\"removed\":0}");

    assertThat(field(env, "dead-by-id", "dead")).isEqualTo(1);
    assertThat(field(env, "dead-by-id", "waiting")).isEqualTo(1);
  }

  @Test
  void requeueDlqWithoutIdMovesAtMostNOfTheOldestDeadLettersBack() throws Exception {
    Map<String, String> env = env("requeue-bulk");
    List<String> ids = deadLetters("requeue-bulk", 3);

    RunnerJar.Child two = RunnerJar.run(dir, env, "", "admin", "requeue-dlq", "requeue-bulk", "-n", "2");
    assertThat(two.exitCode()).as(two.stderr()).isZero();
    assertThat(two.stdout()).isEqualTo("requeued 2 dead letters of requeue-bulk\n");
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).build()) {
      assertThat(backend.peekDead("requeue-bulk", 10)).extracting(DeadLetter::jobId)
          .containsExactly(ids.get(2));
      assertThat(backend.peek("requeue-bulk", "default", 10)).extracting(Job::id, Job::attempt)
          .containsExactly(tuple(ids.get(0), 0), tuple(ids.get(1), 0));
    }

    RunnerJar.Child rest = RunnerJar.run(dir, env, "", "admin", "requeue-dlq", "-n", "5", "--json");
    assertThat(rest.exitCode()).as(rest.stderr()).isZero();
    assertThat(rest.stdout().trim()).isEqualTo("{\"queue\":\"requeue-bulk\",\"requeued\":1}");
    RunnerJar.Child none = RunnerJar.run(dir, env, "", "admin", "requeue-dlq");
    assertThat(none.exitCode()).as(none.stderr()).isZero();
    assertThat(none.stdout()).isEqualTo("requeued 0 dead letters of requeue-bulk\n");
    assertThat(field(env, "requeue-bulk", "dead")).isZero();
    assertThat(field(env, "requeue-bulk", "waiting")).isEqualTo(3);
  }

  private String enqueue(Map<String, String> env, String payload) throws Exception {
    RunnerJar.Child enqueue = RunnerJar.run(dir, env, "", "enqueue", "--payload", payload);
    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isZero();
    return enqueue.stdout().trim();
  }

  /** Dead-letters {@code count} new jobs of {@code queue} through the library; returns their ids. */
  private static List<String> deadLetters(String queue, int count) throws InterruptedException {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).build()) {
      List<Job> jobs = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Instant now = Instant.now();
        jobs.add(new Job(UUID.randomUUID().toString(), queue, "default",
            ("dead " + i).getBytes(StandardCharsets.UTF_8), 0, 1, now, now, Map.of(), null));
      }
      backend.enqueue(jobs, Duration.ofHours(1));
      List<LeasedJob> leased = backend.fetch(new FetchRequest("admin-by-id", queue, List.of("default"), count,
          Duration.ofMinutes(1), Duration.ZERO)).jobs();
      assertThat(leased).hasSize(count);
      List<Settlement> deaths = new ArrayList<>();
      leased.forEach(job -> deaths.add(
          new Settlement.DeadLetter(job.lease(), new JobError("Failure", "failed", Instant.now()))));
      backend.settle(deaths);
      return jobs.stream().map(Job::id).toList();
    }
  }

  private long field(Map<String, String> env, String queue, String field) throws Exception {
    RunnerJar.Child stats = RunnerJar.run(dir, env, "", "admin", "stats", "--json");
    return AdminJson.queueField(stats.stdout(), queue, field);
  }
}
