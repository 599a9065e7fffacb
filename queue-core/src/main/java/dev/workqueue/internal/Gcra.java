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
 * @param emissionIntervalNanos {@code T}, the time one permit costs, at least 1
 * @param burst permits that may be admitted at once after idleness, at least 1
 */
public record Gcra(long emissionIntervalNanos, int burst) {
  /** Cap on the schedule length one request may add, far from overflowing nanosecond sums. */
  private static final long MAX_REQUEST_NANOS = Long.MAX_VALUE / 8;

  public Gcra {
    if (emissionIntervalNanos < 1 || burst < 1) {
      throw new IllegalArgumentException("emissionIntervalNanos and burst must be at least 1, but were "
          + emissionIntervalNanos + " and " + burst);
    }
  }

  /**
   * The schedule of {@code config}; the interval is rounded up to whole nanoseconds, so the
   * effective rate is never above the configured one.
   */
  public static Gcra of(RateLimiterConfig config) {
    return new Gcra((long) Math.ceil(1.0E9 / config.permitsPerSecond()), config.burst());
  }

  /** The largest permit count one request may ask for (the schedule it adds must fit a long). */
  public long maxPermitsPerRequest() {
    return MAX_REQUEST_NANOS / emissionIntervalNanos;
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
   * @param theoreticalArrival the TAT left by the previous admission (or the creation time)
   * @throws IllegalArgumentException if {@code permits} is not between 1 and
   *     {@link #maxPermitsPerRequest()}
   */
  public Admission admit(long theoreticalArrival, long now, long permits) {
    checkPermits(permits);
    long start = now - theoreticalArrival > 0 ? now : theoreticalArrival;
    long end = start + permits * emissionIntervalNanos;
    long earliest = end - burstNanos();
    return new Admission(earliest - now > 0 ? earliest : now, end);
  }

  /** How far the schedule may run ahead of real time: {@code burst · T}, saturated. */
  private long burstNanos() {
    return burst <= MAX_REQUEST_NANOS / emissionIntervalNanos ? burst * emissionIntervalNanos : MAX_REQUEST_NANOS;
  }

  /**
   * The outcome of {@link #admit}.
   *
   * @param at when the request may be admitted: {@code now} if at once, later otherwise
   * @param theoreticalArrival the TAT to keep once the request has been admitted
   */
  public record Admission(long at, long theoreticalArrival) {

    /** Whether the request made at {@code now} is admitted without waiting. */
    public boolean isImmediate(long now) {
      return at - now <= 0;
    }
  }
}
