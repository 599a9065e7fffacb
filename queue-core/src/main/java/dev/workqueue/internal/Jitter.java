package dev.workqueue.internal;

import dev.workqueue.RateLimiterConfig;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The random delay a rate limiter adds to a wait: up to {@link RateLimiterConfig#jitter()} of one
 * emission interval, so callers released together do not all wake at the same instant.
 *
 * @param maxNanos the longest delay, 0 for none
 */
public record Jitter(long maxNanos) {

  public static Jitter of(RateLimiterConfig config) {
    return new Jitter((long) (config.jitter() * 1.0E9 / config.permitsPerSecond()));
  }

  /** A delay drawn uniformly from 0 to {@link #maxNanos()}. */
  public long nextNanos() {
    return maxNanos == 0 ? 0 : ThreadLocalRandom.current().nextLong(maxNanos + 1);
  }
}
