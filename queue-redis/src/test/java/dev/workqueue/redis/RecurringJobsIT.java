package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.Job;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.RecurringJobs;
import dev.workqueue.Trigger;
import dev.workqueue.testkit.redis.RedisServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Recurring runs while Redis goes away: retried until the next run is due, then given up. */
class RecurringJobsIT {
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  /** A clock the test sets; the schedule reads it at least twice a second. */
  private static final class SetClock extends Clock {
    private volatile Instant now;

    SetClock(Instant now) {
      this.now = now;
    }

    void set(Instant instant) {
      now = instant;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Test
  void aRunDueWhileRedisIsDownIsEnqueuedWhenItIsBackAndOneOverdueIsGivenUp() throws Exception {
    SetClock clock = new SetClock(Instant.parse("2026-11-27T10:00:10Z"));
    try (RedisServer redis = RedisServer.builder().start();
        RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("recurring")
            .connectTimeout(Duration.ofMillis(300)).socketTimeout(Duration.ofSeconds(1)).build();
        Producer producer = Producer.builder(backend).defaultQueue("reports").build();
        RecurringJobs recurring = RecurringJobs.builder(producer).clock(clock)
            .add("report", Trigger.every(Duration.ofMinutes(1)), NewJob.of("report")).build()) {
      recurring.start();

      redis.kill();
      clock.set(Instant.parse("2026-11-27T10:01:00Z"));
      // Not a timing assertion: the schedule gets a few tries against the dead server.
      Thread.sleep(1_500);
      redis.startProcess();
      clock.set(Instant.parse("2026-11-27T10:01:30Z")); // retries come a second apart on this clock
      await().atMost(PATIENCE).ignoreException(BackendUnavailableException.class)
          .until(() -> backend.stats("reports").totalWaiting() == 1);
      assertThat(backend.peek("reports", "default", 10)).extracting(Job::idempotencyKey)
          .containsExactly("recurring:report:" + Instant.parse("2026-11-27T10:01:00Z").toEpochMilli());

      redis.kill(); // without persistence: the restarted server starts empty
      clock.set(Instant.parse("2026-11-27T10:02:00Z"));
      Thread.sleep(1_500);
      clock.set(Instant.parse("2026-11-27T10:03:00Z")); // the 10:02 run is given up, 10:03 is tried
      Thread.sleep(1_500);
      redis.startProcess();
      clock.set(Instant.parse("2026-11-27T10:03:30Z"));
      await().atMost(PATIENCE).ignoreException(BackendUnavailableException.class)
          .until(() -> backend.stats("reports").totalWaiting() == 1);
      assertThat(backend.peek("reports", "default", 10)).extracting(Job::idempotencyKey)
          .containsExactly("recurring:report:" + Instant.parse("2026-11-27T10:03:00Z").toEpochMilli());
    }
  }
}
