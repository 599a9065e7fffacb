package dev.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.event.JobEnqueuedEvent;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.spi.QueueObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RecurringJobsTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);
  private static final Instant START = Instant.parse("2026-11-27T10:00:10Z");

  private final InMemoryQueueBackend backend = InMemoryQueueBackend.create();
  private final List<JobEnqueuedEvent> enqueued = new CopyOnWriteArrayList<>();
  private final Producer producer = Producer.builder(backend).observer(new QueueObserver() {
    @Override
    public void onEnqueued(JobEnqueuedEvent event) {
      enqueued.add(event);
    }
  }).build();
  private final MutableClock clock = new MutableClock(START);

  @AfterEach
  void closeBackend() {
    backend.close();
  }

  private RecurringJobs.Builder schedule(NewJob template) {
    return RecurringJobs.builder(producer).clock(clock)
        .add("report", Trigger.every(Duration.ofMinutes(1)), template);
  }

  private List<Job> waiting(String queue) {
    return backend.stats(queue).totalWaiting() == 0 ? List.of() : backend.peek(queue, "default", 100);
  }

  @Test
  void twoSchedulersWithTheSameEntryEnqueueOneJobPerDueTime() {
    NewJob template = NewJob.builder("{\"report\":\"hourly\"}").queue("reports").header("source", "cron")
        .maxAttempts(3).build();
    try (RecurringJobs first = schedule(template).build();
        RecurringJobs second = schedule(template).build()) {
      first.start();
      second.start();

      clock.advance(Duration.ofSeconds(50)); // 10:01:00, the first due time after the start
      await().atMost(PATIENCE).until(() -> enqueued.size() == 2);
      clock.advance(Duration.ofSeconds(90)); // 10:02:30
      await().atMost(PATIENCE).until(() -> enqueued.size() == 4);
    }

    // Each scheduler enqueued each run; the backend stored it once.
    assertThat(enqueued).extracting(JobEnqueuedEvent::created)
        .containsExactlyInAnyOrder(true, false, true, false);
    List<Job> jobs = waiting("reports");
    assertThat(jobs).extracting(Job::idempotencyKey).containsExactly(
        "recurring:report:" + Instant.parse("2026-11-27T10:01:00Z").toEpochMilli(),
        "recurring:report:" + Instant.parse("2026-11-27T10:02:00Z").toEpochMilli());
    assertThat(jobs.get(0).payloadAsString()).isEqualTo("{\"report\":\"hourly\"}");
    assertThat(jobs.get(0).headers()).isEqualTo(Map.of("source", "cron"));
    assertThat(jobs.get(0).maxAttempts()).isEqualTo(3);
    assertThat(jobs.get(0).id()).isNotEqualTo(jobs.get(1).id());
  }

  @Test
  void aLateSchedulerEnqueuesOneMissedRunAndGoesOnFromThePresent() {
    try (RecurringJobs recurring = schedule(NewJob.builder("x").queue("late").build()).build()) {
      recurring.start();
      clock.advance(Duration.ofMinutes(10)); // 10:10:10: ten runs missed at once
      await().atMost(PATIENCE).until(() -> waiting("late").size() == 1);
      clock.advance(Duration.ofMinutes(1)); // 10:11:10
      await().atMost(PATIENCE).until(() -> waiting("late").size() == 2);
    }

    assertThat(waiting("late")).extracting(Job::idempotencyKey).containsExactly(
        "recurring:report:" + Instant.parse("2026-11-27T10:01:00Z").toEpochMilli(),
        "recurring:report:" + Instant.parse("2026-11-27T10:11:00Z").toEpochMilli());
  }

  /** A run that cannot be enqueued is tried again a second later by the schedule's clock. */
  @Test
  void aRunIsRetriedEverySecondWhileTheBackendCannotBeReached() throws InterruptedException {
    AtomicInteger tries = new AtomicInteger();
    Producer unreachable = new Producer() {
      @Override
      public EnqueueResult enqueue(NewJob job) {
        tries.incrementAndGet();
        throw new BackendUnavailableException("backend down", null);
      }

      @Override
      public List<EnqueueResult> enqueueAll(List<NewJob> jobs) {
        throw new UnsupportedOperationException("not used by recurring jobs");
      }

      @Override
      public void close() {}
    };
    try (RecurringJobs recurring = RecurringJobs.builder(unreachable).clock(clock)
        .add("report", Trigger.every(Duration.ofMinutes(1)), NewJob.of("x")).build()) {
      recurring.start();
      clock.advance(Duration.ofSeconds(50)); // 10:01:00
      await().atMost(PATIENCE).until(() -> tries.get() == 1);
      // Not a timing assertion: with the clock standing still, a retry without a pause would have
      // tried hundreds of times by now.
      Thread.sleep(1_000);
      assertThat(tries).hasValue(1);
      clock.advance(Duration.ofSeconds(1));
      await().atMost(PATIENCE).until(() -> tries.get() == 2);
    }
  }

  /** Due times computed before the jump would have held the entry back by an hour. */
  @Test
  void aClockSetBackIsFollowedAtOnce() {
    try (RecurringJobs recurring = schedule(NewJob.builder("x").queue("back").build()).build()) {
      recurring.start();
      clock.advance(Duration.ofHours(-1)); // 09:00:10
      // A minute on at every look of the test, slower than the schedule's looks: a run falls due
      // long before 10:01, the first due time the schedule knew before the jump.
      await().atMost(PATIENCE).pollInterval(Duration.ofMillis(600)).until(() -> {
        clock.advance(Duration.ofMinutes(1));
        return !waiting("back").isEmpty();
      });
    }

    long jumpedFrom = Instant.parse("2026-11-27T10:00:00Z").toEpochMilli();
    assertThat(waiting("back")).extracting(Job::idempotencyKey).allSatisfy(key ->
        assertThat(Long.parseLong(key.substring("recurring:report:".length()))).isLessThan(jumpedFrom));
  }

  @Test
  void aTemplateWithARunOfItsOwnAndBadNamesAreAllReported() {
    NewJob keyed = NewJob.builder("x").id("fixed").idempotencyKey("k").runAt(START).build();
    RecurringJobs.Builder builder = RecurringJobs.builder(producer)
        .add("a b", Trigger.every(Duration.ofMinutes(1)), NewJob.of("x"))
        .add("dup", Trigger.every(Duration.ofMinutes(1)), keyed)
        .add("dup", null, NewJob.builder("x").queue("no{braces}").build());

    assertThatThrownBy(builder::build)
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("name must be 1 to 128 characters")
        .hasMessageContaining("entry \"dup\" template id must be unset (each run gets an id of its own)")
        .hasMessageContaining("entry \"dup\" template idempotencyKey must be unset")
        .hasMessageContaining("entry \"dup\" template runAt must be unset")
        .hasMessageContaining("name must be unique in the schedule, but was \"dup\"")
        .hasMessageContaining("entry \"dup\" trigger must be set")
        .hasMessageContaining("entry \"dup\" template queue must be 1 to 128 characters");
  }

  @Test
  void aTriggerThatFailsEndsItsEntryOnly() {
    Trigger failing = after -> {
      if (after.isAfter(START.plusSeconds(30))) {
        throw new IllegalStateException("broken calendar");
      }
      return START.plusSeconds(60);
    };
    try (RecurringJobs recurring = RecurringJobs.builder(producer).clock(clock)
        .add("failing", failing, NewJob.builder("f").queue("failing").build())
        .add("steady", Trigger.every(Duration.ofMinutes(1)), NewJob.builder("s").queue("steady").build())
        .build()) {
      recurring.start();
      clock.advance(Duration.ofMinutes(1));
      await().atMost(PATIENCE)
          .until(() -> waiting("failing").size() == 1 && waiting("steady").size() == 1);
      clock.advance(Duration.ofMinutes(1));
      await().atMost(PATIENCE).until(() -> waiting("steady").size() == 2);
    }
    assertThat(waiting("failing")).hasSize(1);
  }

  @Test
  void startTwiceOrAfterCloseIsRefused() {
    RecurringJobs recurring = schedule(NewJob.of("x")).build();
    recurring.start();
    assertThatThrownBy(recurring::start).hasMessage("recurring jobs already started");
    recurring.close();
    recurring.close();
    assertThatThrownBy(recurring::start).hasMessage("recurring jobs are closed");
  }
}
