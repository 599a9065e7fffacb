package dev.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TriggerTest {
  @Test
  void everyPeriodIsDueAtTheNextWholeMultipleStrictlyAfterTheInstant() {
    // Instants from 1900 to 2100, periods from 1 ms to 30 days.
    qt().forAll(longs().between(-2_208_988_800_000L, 4_102_444_800_000L),
            longs().between(1, 2_592_000_000L))
        .checkAssert((millis, periodMillis) -> {
          Instant next =
              Trigger.every(Duration.ofMillis(periodMillis)).nextAfter(Instant.ofEpochMilli(millis));
          assertThat(next.toEpochMilli()).isGreaterThan(millis)
              .isLessThanOrEqualTo(millis + periodMillis);
          assertThat(Math.floorMod(next.toEpochMilli(), periodMillis)).isZero();
        });
  }

  @Test
  void everyQuarterHourIsDueOnTheQuarter() {
    Trigger quarterly = Trigger.every(Duration.ofMinutes(15));

    assertThat(quarterly.nextAfter(Instant.parse("2026-11-27T10:07:31Z"))).isEqualTo("2026-11-27T10:15:00Z");
    assertThat(quarterly.nextAfter(Instant.parse("2026-11-27T10:15:00Z"))).isEqualTo("2026-11-27T10:30:00Z");
  }

  @Test
  void periodOutsideTheRangeIsRefusedWithTheRule() {
    assertThatThrownBy(() -> Trigger.every(Duration.ZERO))
        .hasMessage("period must be between 1ms and 3650 days, but was PT0S");
    assertThatThrownBy(() -> Trigger.every(null))
        .hasMessage("period must be between 1ms and 3650 days, but was null");
  }
}
