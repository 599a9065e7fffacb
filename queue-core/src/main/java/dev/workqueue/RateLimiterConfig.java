package dev.workqueue;

import dev.workqueue.internal.Problems;

/**
 * How fast a {@link RateLimiter} hands out permits. Permits are spread evenly, one every
 * {@code 1 / permitsPerSecond} seconds (the emission interval); after a pause, up to
 * {@code burst} permits may be taken at once, never more. Over any window of length {@code w}
 * at most {@code permitsPerSecond × w + burst} permits are admitted, so a burst of at most
 * {@code permitsPerSecond} keeps every window of 10 s or more within 10% of the rate; a larger
 * burst is an allowance above it.
 *
 * <pre>{@code
 * RateLimiter limiter = RateLimiter.local(RateLimiterConfig.builder()
 *     .permitsPerSecond(200)
 *     .burst(10)
 *     .build());
 * }</pre>
 *
 * @param permitsPerSecond the sustained rate, between {@value #MIN_PERMITS_PER_SECOND} and
 *     {@value #MAX_PERMITS_PER_SECOND}
 * @param burst how many permits may be taken at once after the limiter has been idle, at least 1
 * @param jitter the largest random delay added to a wait, as a fraction of one emission interval
 *     between 0 and 1, so that many waiting callers do not all wake at the same instant
 */
public record RateLimiterConfig(double permitsPerSecond, int burst, double jitter) {

  /** Default {@link #burst()}: 1, the smoothest schedule. */
  public static final int DEFAULT_BURST = 1;
  /** Default {@link #jitter()}: 0.05 of an emission interval. */
  public static final double DEFAULT_JITTER = 0.05;
  /** Smallest accepted {@link #permitsPerSecond()}: one permit every 11.6 days. */
  public static final double MIN_PERMITS_PER_SECOND = 1.0E-6;
  /** Largest accepted {@link #permitsPerSecond()}: one permit per nanosecond. */
  public static final double MAX_PERMITS_PER_SECOND = 1.0E9;

  /** @throws InvalidConfigurationException naming every invalid argument */
  public RateLimiterConfig {
    new Problems("rate limiter config")
        .between(permitsPerSecond, MIN_PERMITS_PER_SECOND, MAX_PERMITS_PER_SECOND, "permitsPerSecond")
        .atLeast(burst, 1, "burst")
        .between(jitter, 0.0, 1.0, "jitter")
        .throwIfAny();
  }

  /**
   * {@code permitsPerSecond} with the default burst and jitter.
   *
   * @throws InvalidConfigurationException if the rate is out of range
   */
  public static RateLimiterConfig of(double permitsPerSecond) {
    return builder().permitsPerSecond(permitsPerSecond).build();
  }

  /** Starts from the defaults; {@link Builder#permitsPerSecond(double)} must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts from the values of {@code prototype}. */
  public static Builder from(RateLimiterConfig prototype) {
    return builder()
        .permitsPerSecond(prototype.permitsPerSecond())
        .burst(prototype.burst())
        .jitter(prototype.jitter());
  }

  /** Builds a {@link RateLimiterConfig}; {@link #build()} leaves the builder reusable. */
  public static final class Builder {
    private double permitsPerSecond;
    private int burst = DEFAULT_BURST;
    private double jitter = DEFAULT_JITTER;

    private Builder() {}

    /** The sustained rate in permits per second; required, no default. */
    public Builder permitsPerSecond(double permitsPerSecond) {
      this.permitsPerSecond = permitsPerSecond;
      return this;
    }

    /** Permits that may be taken at once after idleness; default {@value #DEFAULT_BURST}. */
    public Builder burst(int burst) {
      this.burst = burst;
      return this;
    }

    /**
     * Largest random delay added to a wait, as a fraction of one emission interval; 0 turns
     * jitter off; default {@value #DEFAULT_JITTER}.
     */
    public Builder jitter(double jitter) {
      this.jitter = jitter;
      return this;
    }

    /** @throws InvalidConfigurationException naming every invalid argument */
    public RateLimiterConfig build() {
      return new RateLimiterConfig(permitsPerSecond, burst, jitter);
    }
  }
}
