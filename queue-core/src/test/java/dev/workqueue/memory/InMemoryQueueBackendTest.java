package dev.workqueue.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.InvalidConfigurationException;
import java.time.Duration;
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
}
