package dev.workqueue.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.JobError;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryQueueBackendTest {

  @Test
  void builderReportsEveryInvalidArgumentAtOnce() {
    assertThatThrownBy(() -> InMemoryQueueBackend.builder().clock(null).completedHistorySize(-1)
            .completedHistoryAge(Duration.ZERO).build())
        .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.problems()).containsExactly(
            "clock must be set, but was null",
            "completedHistorySize must be at least 0, but was -1",
            "completedHistoryAge must be a positive duration of at most 3650 days, but was PT0S"));
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
  void twoDeadJobsWithOneProducerGivenIdAreBothKept() throws InterruptedException {
    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create()) {
      Producer producer = Producer.builder(backend).build();
      // Only ids within one call are refused as duplicates; separate calls may repeat one.
      producer.enqueue(NewJob.builder("first").id("order-7").build());
      producer.enqueue(NewJob.builder("second").id("order-7").build());
      List<LeasedJob> leased = backend.fetch(new FetchRequest("c", Producer.DEFAULT_QUEUE,
          List.of(Producer.DEFAULT_PRIORITY), 2, Duration.ofMinutes(1), Duration.ZERO)).jobs();
      JobError error = new JobError("boom", "failed", Instant.now());

      assertThat(backend.settle(leased.stream()
          .<Settlement>map(job -> new Settlement.DeadLetter(job.lease(), error)).toList()))
          .containsExactly(true, true);

      assertThat(backend.stats(Producer.DEFAULT_QUEUE).dead()).isEqualTo(2);
      assertThat(backend.peekDead(Producer.DEFAULT_QUEUE, 10))
          .extracting(letter -> letter.job().payloadAsString()).containsExactly("first", "second");
      assertThat(backend.requeueDead(Producer.DEFAULT_QUEUE, 10)).isEqualTo(2);
      assertThat(backend.peek(Producer.DEFAULT_QUEUE, Producer.DEFAULT_PRIORITY, 10))
          .extracting(job -> job.payloadAsString()).containsExactly("first", "second");
    }
  }
}
