package dev.workqueue.runner.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void readsUnitsAndIso8601() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
    assertThat(Durations.parse("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
  }

  @Test
  void rejectsNumbersWithoutUnitAndWords() {
    assertThatThrownBy(() -> Durations.parse("30")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Durations.parse("10 seconds")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Durations.parse("-5s")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void everyMillisecondDurationReadsBackFromItsFormat() {
    qt().forAll(longs().between(0, 400L * 24 * 3600 * 1000))
        .check(millis -> Durations.parse(Durations.format(Duration.ofMillis(millis)))
            .equals(Duration.ofMillis(millis)));
  }
}
