package dev.workqueue.internal;

import dev.workqueue.RateLimiterConfig;

/**
 * The generic cell rate algorithm as a pure function: given the theoretical arrival time (TAT)
 * left by earlier admissions, the time a request is made and its permit count, it says when the
 * request may be admitted and which TAT it leaves. No clock, no state, no waiting: the limiters
 * own those. Times are nanoseconds on any monotonic scale and are compared by subtraction, so
 * {@link System#nanoTime()} values work even when negative.
 *
 * <p>Each permit costs one emission interval {@code T}. A request for {@code n} permits made at
 * {@code now} starts at {@code max(tat, now)}, ends at {@code start + n·T} (the new TAT) and is
 * admitted once {@code now ≥ end − burst·T}: the schedule may run at most {@code burst} intervals
 * ahead of real time. A request for more than {@code burst} permits is admitted after waiting for
 * the surplus, {@code (n − burst)·T} past its start. Because every admitted permit owns a
 * distinct stretch of length {@code T} of the schedule, at most {@code rate × elapsed + burst}
 * permits are admitted over any stretch of time.
 *
 * <p>{@code T} need not be a whole number of nanoseconds: the TAT keeps the fraction of a
 * nanosecond the schedule has reached, so the long-run rate is the configured one at any rate.
 * Only admission times are rounded, up to whole nanoseconds: an admission is never early, and a
 * window that starts at a rounded admission may hold up to one nanosecond's worth of permits
 * more than its length allows.
 *
 * @param emissionIntervalNanos {@code T}, the time one permit costs, at least 1
 * @param burst permits that may be admitted at once after idleness, at least 1
 */
public record Gcra(double emissionIntervalNanos, int burst) {
  /** Cap on the schedule length one request may add, far from overflowing nanosecond sums. */
  private static final long MAX_REQUEST_NANOS = Long.MAX_VALUE / 8;

  public Gcra {
    if (!(emissionIntervalNanos >= 1 && emissionIntervalNanos <= MAX_REQUEST_NANOS)) {
      throw new IllegalArgumentException("emissionIntervalNanos must be between 1 and " + MAX_REQUEST_NANOS
          + ", but was " + emissionIntervalNanos);
    }
    if (burst < 1) {
      throw new IllegalArgumentException("burst must be at least 1, but was " + burst);
    }
  }

  /** The schedule of {@code config}, with the interval exactly {@code 1 / permitsPerSecond}. */
  public static Gcra of(RateLimiterConfig config) {
    return new Gcra(1.0E9 / config.permitsPerSecond(), config.burst());
  }

  /** The largest permit count one request may ask for (the schedule it adds must fit a long). */
  public long maxPermitsPerRequest() {
    return (long) (MAX_REQUEST_NANOS / emissionIntervalNanos);
  }

  /**
   * @throws IllegalArgumentException if {@code permits} is not between 1 and
   *     {@link #maxPermitsPerRequest()}
   */
  public void checkPermits(long permits) {
    if (permits < 1 || permits > maxPermitsPerRequest()) {
      throw new IllegalArgumentException(
          "permits must be between 1 and " + maxPermitsPerRequest() + ", but was " + permits);
    }
  }

  /**
   * Where a request for {@code permits} made at {@code now} lands.
   *
   * @param theoreticalArrival the TAT left by the previous admission (or {@link Tat#at} the
   *     creation time)
   * @throws IllegalArgumentException if {@code permits} is not between 1 and
   *     {@link #maxPermitsPerRequest()}
   */
  public Admission admit(Tat theoreticalArrival, long now, long permits) {
    checkPermits(permits);
    Tat start = theoreticalArrival.nanos() - now >= 0 ? theoreticalArrival : Tat.at(now);
    double length = start.fraction() + permits * emissionIntervalNanos;
    long whole = (long) length;
    Tat end = new Tat(start.nanos() + whole, length - whole);
    // The first whole nanosecond at or after end − burst·T; the burst is at least one interval,
    // so more than the fraction, and the rounding never admits early.
    long earliest = end.nanos() - (long) Math.floor(burstNanos() - end.fraction());
    return new Admission(earliest - now > 0 ? earliest : now, end);
  }

  /** How far the schedule may run ahead of real time: {@code burst · T}, saturated. */
  private double burstNanos() {
    return Math.min(burst * emissionIntervalNanos, MAX_REQUEST_NANOS);
  }

  /**
   * A point of the schedule: whole nanoseconds and the fraction of the next one reached.
   *
   * @param nanos whole nanoseconds, on the scale of the limiter's ticker
   * @param fraction in [0, 1)
   */
  public record Tat(long nanos, double fraction) {

    /** The point at exactly {@code nanos}. */
    public static Tat at(long nanos) {
      return new Tat(nanos, 0);
    }
  }

  /**
   * The outcome of {@link #admit}.
   *
   * @param at when the request may be admitted: {@code now} if at once, later otherwise
   * @param theoreticalArrival the TAT to keep once the request has been admitted
   */
  public record Admission(long at, Tat theoreticalArrival) {

    /** Whether the request made at {@code now} is admitted without waiting. */
    public boolean isImmediate(long now) {
      return at - now <= 0;
    }
  }
}
