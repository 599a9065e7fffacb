package dev.workqueue;

import java.time.Duration;

/**
 * Caps the rate at which permits are handed out. Producers take one permit per job when given a
 * limiter; host code may use a limiter on its own. Implementations are thread-safe.
 */
public interface RateLimiter {

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
   * once with false when they cannot become available in time.
   *
   * @return whether the permits were taken
   * @throws IllegalArgumentException if {@code permits} is not positive or timeout is negative
   * @throws InterruptedException if interrupted while waiting; no permit is consumed then
   */
  boolean tryAcquire(int permits, Duration timeout) throws InterruptedException;
}
