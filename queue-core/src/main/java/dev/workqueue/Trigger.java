package dev.workqueue;

import dev.workqueue.internal.Problems;
import java.time.Duration;
import java.time.Instant;

/**
 * When a recurring job is due (see {@link RecurringJobs}). Implementations must give every
 * process the same times, so that the processes of a deployment agree on which run is which:
 * compute them from the instant given, never from when the method is called, and answer the same
 * for every instant between two due times (a cron library may carry the fraction of a second it
 * is given into its answer: truncate the instant first). A cron expression fits behind this
 * interface through a cron library (the runner uses cron-utils).
 */
@FunctionalInterface
public interface Trigger {

  /**
   * The first time strictly after {@code after} at which the job is due, or {@code null} when it
   * is never due again.
   */
  Instant nextAfter(Instant after);

  /**
   * Every {@code period}, at whole multiples of it since the epoch (1970-01-01T00:00Z): {@code
   * every(Duration.ofMinutes(15))} is due at :00, :15, :30 and :45 of every hour in every process.
   *
   * @throws IllegalArgumentException unless {@code period} is between 1 ms and 3650 days
   */
  static Trigger every(Duration period) {
    if (period == null || period.compareTo(Duration.ofMillis(1)) < 0
        || period.compareTo(Problems.LONGEST_RETENTION) > 0) {
      throw new IllegalArgumentException(
          "period must be between 1ms and 3650 days, but was " + Problems.describe(period));
    }
    long periodMillis = period.toMillis();
    return after -> Instant.ofEpochMilli(Math.floorDiv(after.toEpochMilli(), periodMillis) * periodMillis
        + periodMillis);
  }
}
