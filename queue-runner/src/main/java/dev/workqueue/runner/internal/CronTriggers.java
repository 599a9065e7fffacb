package dev.workqueue.runner.internal;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.workqueue.Trigger;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;

/** Cron expressions of {@code recurring.entries} as the library's {@link Trigger}, through cron-utils. */
public final class CronTriggers {
  /** How an expression is written, for messages. */
  public static final String FORMAT = "a cron expression of five fields (minute hour day-of-month month "
      + "day-of-week, such as \"0 2 * * *\") or six with seconds first (\"*/30 * * * * *\")";

  private static final CronParser FIVE_FIELDS =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser SIX_FIELDS =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

  private CronTriggers() {}

  /**
   * The times {@code expression} gives, read in {@code zone}.
   *
   * @throws IllegalArgumentException if {@code expression} is not {@link #FORMAT}
   */
  public static Trigger of(String expression, ZoneId zone) {
    ExecutionTime times = ExecutionTime.forCron(parse(expression));
    // cron-utils keeps the fraction of a second it is given in the time it answers: processes
    // asking at different instants would disagree on the due times, and so on the runs' keys.
    return after -> times.nextExecution(after.truncatedTo(ChronoUnit.SECONDS).atZone(zone))
        .map(ZonedDateTime::toInstant).orElse(null);
  }

  /** @throws IllegalArgumentException if {@code expression} is not {@link #FORMAT} */
  public static void check(String expression) {
    parse(expression);
  }

  private static Cron parse(String expression) {
    String trimmed = expression.trim();
    int fields = trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    if (fields != 5 && fields != 6) {
      throw new IllegalArgumentException("a cron expression has 5 or 6 fields, not " + fields);
    }
    return (fields == 6 ? SIX_FIELDS : FIVE_FIELDS).parse(trimmed);
  }
}
