package dev.workqueue;

import dev.workqueue.internal.RollingWindowCircuitBreaker;
import java.time.Clock;
import java.util.function.BiConsumer;

/**
 * Stops work while too much of it fails. A consumer asks {@link #tryAcquirePermission()} before
 * each fetch and reports every finished attempt with the permission it was fetched under.
 * Thread-safe.
 *
 * <p>Only outcomes of work fetched since the breaker last closed count. While it is open or
 * half-open, outcomes of jobs fetched before it opened (a job may run far longer than the
 * cooldown) are ignored: they neither change its state nor enter the rolling window, which starts
 * empty when the breaker closes, so the failures of an outage already judged cannot reopen it
 * once the probe has shown that the outage ended. In half-open state only the probe decides:
 * its success closes the breaker, its failure reopens it for a new cooldown.
 */
public interface CircuitBreaker {

  /**
   * Whether work may start now. Closed: granted. Open: denied until the cooldown has passed, when
   * the breaker turns half-open and grants a {@linkplain Permission#probe() probe} for a single
   * job. Half-open: denied while the probe is outstanding; a new probe once it was
   * {@linkplain #releasePermission(Permission) released}.
   */
  Permission tryAcquirePermission();

  /**
   * Reports that an attempt fetched under {@code permission} succeeded: the probe's success closes
   * the breaker; another success counts in the rolling window, unless the breaker has opened since
   * the permission was granted.
   *
   * @throws NullPointerException if {@code permission} is null
   */
  void onSuccess(Permission permission);

  /**
   * Reports that an attempt fetched under {@code permission} failed or timed out: the probe's
   * failure reopens the breaker; another failure counts in the rolling window, and may open the
   * breaker, unless the breaker has opened since the permission was granted.
   *
   * @throws NullPointerException if {@code permission} is null
   */
  void onFailure(Permission permission);

  /**
   * Gives back a probe that will report no outcome (nothing was fetched, or its job was returned
   * unfinished), so that a half-open breaker grants a new one. Does nothing for other permissions.
   *
   * @throws NullPointerException if {@code permission} is null
   */
  void releasePermission(Permission permission);

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

  /**
   * The answer of {@link #tryAcquirePermission()}; the outcomes of the work it lets start are
   * reported with it. Only the breaker that granted it can tell one permission from another.
   */
  interface Permission {

    /** Whether work may start. */
    boolean granted();

    /** Whether this is the half-open breaker's probe: a single job, whose outcome decides. */
    boolean probe();
  }
}
