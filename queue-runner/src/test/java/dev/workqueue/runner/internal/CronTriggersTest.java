package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.Trigger;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class CronTriggersTest {
  private static final ZoneId UTC = ZoneId.of("UTC");

  /** Two processes asking within one second must agree on the due time, which keys the run. */
  @Test
  void dueTimesAreWholeSecondsWhateverFractionTheyAreAskedAt() {
    Trigger everySecond = CronTriggers.of("* * * * * *", UTC);

    assertThat(everySecond.nextAfter(Instant.parse("2026-11-27T10:15:00.034Z")))
        .isEqualTo("2026-11-27T10:15:01Z");
    assertThat(everySecond.nextAfter(Instant.parse("2026-11-27T10:15:00.999Z")))
        .isEqualTo("2026-11-27T10:15:01Z");
    assertThat(everySecond.nextAfter(Instant.parse("2026-11-27T10:15:01Z")))
        .isEqualTo("2026-11-27T10:15:02Z");
  }

  @Test
  void fiveFieldsAreMinutesToWeekdaysReadInTheZone() {
    Trigger weekdaysAtTwo = CronTriggers.of("0 2 * * 1-5", ZoneId.of("Europe/Berlin"));

    // Friday 2026-11-27, 10:15 UTC: the next weekday 02:00 in Berlin is Monday, 01:00 UTC.
    assertThat(weekdaysAtTwo.nextAfter(Instant.parse("2026-11-27T10:15:00Z")))
        .isEqualTo("2026-11-30T01:00:00Z");
  }

  @Test
  void anythingButFiveOrSixValidFieldsIsRefused() {
    assertThatThrownBy(() -> CronTriggers.check("* * *"))
        .hasMessage("a cron expression has 5 or 6 fields, not 3");
    assertThatThrownBy(() -> CronTriggers.check("61 * * * *")).hasMessageContaining("61");
    assertThatThrownBy(() -> CronTriggers.check(" "))
        .hasMessage("a cron expression has 5 or 6 fields, not 0");
  }
}
