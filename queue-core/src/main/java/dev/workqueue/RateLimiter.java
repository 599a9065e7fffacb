package dev.workqueue;

import dev.workqueue.internal.LocalRateLimiter;
import java.time.Duration;

/**
 * Caps the rate at which permits are handed out. Producers take one permit per job when given a
 * limiter; host code may use a limiter on its own. Implementations are thread-safe.
 *
 * <p>{@link #local(RateLimiterConfig)} limits the callers of one process; the Redis module's
 * {@code RedisRateLimiter} limits every process that uses the same limiter name.
 */
public interface RateLimiter {

  /**
   * A limiter for this process, following {@code config}: permits spread evenly at the configured
   * rate (generic cell rate algorithm), at most {@code burst} at once after idleness, waiting
   * callers served first come, first served and parked until their permit is due.
   */
  static RateLimiter local(RateLimiterConfig config) {
    return new LocalRateLimiter(config);
  }

  /**
   * A limiter for this process at {@code permitsPerSecond}, with the default burst and jitter of
   * {@link RateLimiterConfig}.
   *
   * @throws InvalidConfigurationException if the rate is out of range
   */
  static RateLimiter local(double permitsPerSecond) {
    return local(RateLimiterConfig.of(permitsPerSecond));
  }

  /**
   * Takes one permit, waiting as long as needed.
   *
   * @throws InterruptedException if interrupted while waiting; no permit is consumed then
   */
  default void acquire() throws InterruptedException {
    acquire(1);
  }

  /**
   * Takes {@code permits} permits, waiting as long as needed.
   *
   * @throws IllegalArgumentException if {@code permits} is not positive
   * @throws InterruptedException if interrupted while waiting; no permit is consumed then
   */
  void acquire(int permits) throws InterruptedException;

  /**
   * Takes {@code permits} permits if they are available now, without waiting.
   *
   * @return whether the permits were taken
   * @throws IllegalArgumentException if {@code permits} is not positive
   */
  boolean tryAcquire(int permits);

  /**
   * Takes {@code permits} permits if they become available within {@code timeout}. Returns at
   * once with false when they cannot become available in time even if no other caller were
   * waiting; callers already waiting are served first, so it may also return false only once
   * the timeout has passed.
   *
   * @return whether the permits were taken
   * @throws IllegalArgumentException if {@code permits} is not positive or timeout is negative
   * @throws InterruptedException if interrupted while waiting; no permit is consumed then
   */
  boolean tryAcquire(int permits, Duration timeout) throws InterruptedException;
}
