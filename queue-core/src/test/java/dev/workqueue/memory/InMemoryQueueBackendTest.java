package dev.workqueue.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.DeadLetter;
import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.MutableClock;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InMemoryQueueBackendTest {

  @Test
  void builderReportsEveryInvalidArgumentAtOnce() {
    assertThatThrownBy(() -> InMemoryQueueBackend.builder().clock(null).completedHistorySize(-1)
            .completedHistoryAge(Duration.ZERO).deadLetterLimit(-1).deadLetterAge(Duration.ofDays(3651))
            .build())
        .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.problems()).containsExactly(
            "clock must be set, but was null",
            "completedHistorySize must be at least 0, but was -1",
            "completedHistoryAge must be a positive duration of at most 3650 days, but was PT0S",
            "deadLetterLimit must be at least 0, but was -1",
            "deadLetterAge must be a positive duration of at most 3650 days, but was PT87624H"));
  }

  @Test
  void completedHistoryAgeBeyondMillisecondRangeIsRefusedNamingTheSetting() {
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);

    assertThatThrownBy(() -> InMemoryQueueBackend.builder().completedHistoryAge(forever).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid in-memory backend: completedHistoryAge must be a positive duration of at most "
            + "3650 days, but was " + forever);
    InMemoryQueueBackend.builder().completedHistoryAge(Duration.ofDays(3650)).build().close();
  }

  @Test
  void aDeadLetterIsKeptForExactlyTheDeadLetterAgeOnTheBackendClock() throws InterruptedException {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
    try (InMemoryQueueBackend backend =
        InMemoryQueueBackend.builder().clock(clock).deadLetterAge(Duration.ofMinutes(10)).build()) {
      Instant createdAt = clock.instant();
      backend.enqueue(List.of(new Job("j1", "q", "default", new byte[0], 0, 1, createdAt, createdAt, Map.of(),
          null)), Duration.ofHours(1));
      FetchRequest take =
          new FetchRequest("c", "q", List.of("default"), 1, Duration.ofMinutes(1), Duration.ZERO);
      LeasedJob leased = backend.fetch(take).jobs().get(0);
      // The error's own time is the consumer's; the age counts from when the backend stored it.
      JobError error = new JobError("E", "failed", createdAt.minus(Duration.ofDays(1)));
      backend.settle(List.of(new Settlement.DeadLetter(leased.lease(), error)));

      clock.advance(Duration.ofMinutes(10).minusMillis(1));
      assertThat(backend.peekDead("q", 10)).extracting(DeadLetter::jobId).containsExactly("j1");
      clock.advance(Duration.ofMillis(1));
      assertThat(backend.stats("q").dead()).isZero();
      assertThat(backend.peekDead("q", 10)).isEmpty();
    }
  }
}
