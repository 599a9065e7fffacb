package dev.workqueue;

import dev.workqueue.internal.RollingWindowCircuitBreaker;
import java.time.Clock;
import java.util.function.BiConsumer;

/**
 * Stops work while too much of it fails. A consumer asks {@link #tryAcquirePermission()} before
 * each fetch and reports every finished attempt. Thread-safe.
 */
public interface CircuitBreaker {

  /**
   * Whether work may start now. Closed: always. Open: no, until the cooldown has passed, when the
   * breaker turns half-open and grants exactly one probe. Half-open: only while no probe is
   * outstanding.
   */
  boolean tryAcquirePermission();

  /** Reports a successful attempt; in half-open state this closes the breaker. */
  void onSuccess();

  /** Reports a failed attempt; in half-open state this reopens the breaker. */
  void onFailure();

  /**
   * Gives back a permission that was granted but not used (nothing was fetched), so a half-open
   * breaker can grant its probe again.
   */
  void releasePermission();

  /** The current state; an open breaker whose cooldown has passed still reports open until asked. */
  CircuitBreakerState state();

  /**
   * A breaker with {@code config}, reading time from {@code clock}, that tells {@code listener}
   * (previous state, new state) about each transition, on the thread that caused it.
   */
  static CircuitBreaker create(CircuitBreakerConfig config, Clock clock,
      BiConsumer<CircuitBreakerState, CircuitBreakerState> listener) {
    return new RollingWindowCircuitBreaker(config, clock, listener);
  }
}
