package dev.workqueue.internal;

import dev.workqueue.CircuitBreaker;
import dev.workqueue.CircuitBreakerConfig;
import dev.workqueue.CircuitBreakerState;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Circuit breaker over a time-bucketed rolling window of outcomes. Each closed period and each
 * probe has a permission of its own; outcomes under any other are ignored, not even recorded.
 */
public final class RollingWindowCircuitBreaker implements CircuitBreaker {
  private static final int BUCKETS = 10;
  private static final Grant DENIED = new Grant(false, false);

  private final CircuitBreakerConfig config;
  private final Clock clock;
  private final BiConsumer<CircuitBreakerState, CircuitBreakerState> listener;
  private final long bucketMillis;
  private final long[] bucketStart = new long[BUCKETS];
  private final int[] successes = new int[BUCKETS];
  private final int[] failures = new int[BUCKETS];

  private CircuitBreakerState state = CircuitBreakerState.CLOSED;
  private long openedAt;
  /** What fetches get while closed; replaced each time the breaker closes. */
  private Grant closedPermission = new Grant(true, false);
  /** The outstanding probe while half-open, otherwise null. */
  private Grant probe;

  public RollingWindowCircuitBreaker(CircuitBreakerConfig config, Clock clock,
      BiConsumer<CircuitBreakerState, CircuitBreakerState> listener) {
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.bucketMillis = Math.max(1, config.window().toMillis() / BUCKETS);
  }

  @Override
  public Permission tryAcquirePermission() {
    CircuitBreakerState before;
    Grant granted;
    synchronized (this) {
      before = state;
      switch (state) {
        case CLOSED:
          return closedPermission;
        case OPEN:
          long now = clock.millis();
          if (now < openedAt) {
            // The clock was set back: restart the cooldown rather than stay open for the jump.
            openedAt = now;
          }
          if (now - openedAt < config.cooldown().toMillis()) {
            return DENIED;
          }
          state = CircuitBreakerState.HALF_OPEN;
          probe = new Grant(true, true);
          granted = probe;
          break;
        default:
          if (probe != null) {
            return DENIED;
          }
          probe = new Grant(true, true);
          return probe;
      }
    }
    listener.accept(before, CircuitBreakerState.HALF_OPEN);
    return granted;
  }

  @Override
  public synchronized void releasePermission(Permission permission) {
    Objects.requireNonNull(permission, "permission");
    if (permission == probe) {
      probe = null;
    }
  }

  @Override
  public void onSuccess(Permission permission) {
    record(permission, true);
  }

  @Override
  public void onFailure(Permission permission) {
    record(permission, false);
  }

  private void record(Permission permission, boolean success) {
    Objects.requireNonNull(permission, "permission");
    CircuitBreakerState before;
    CircuitBreakerState after;
    synchronized (this) {
      before = state;
      long now = clock.millis();
      if (permission == probe) {
        probe = null;
        if (success) {
          state = CircuitBreakerState.CLOSED;
          closedPermission = new Grant(true, false);
        } else {
          open(now);
        }
      } else if (permission == closedPermission && state == CircuitBreakerState.CLOSED) {
        int bucket = bucketFor(now);
        if (success) {
          successes[bucket]++;
        } else {
          failures[bucket]++;
          if (failureRateReached(now)) {
            open(now);
          }
        }
      }
      after = state;
    }
    if (before != after) {
      listener.accept(before, after);
    }
  }

  @Override
  public synchronized CircuitBreakerState state() {
    return state;
  }

  /** Opens the breaker with an empty window, which it keeps until it closes again. */
  private void open(long now) {
    state = CircuitBreakerState.OPEN;
    openedAt = now;
    Arrays.fill(successes, 0);
    Arrays.fill(failures, 0);
    Arrays.fill(bucketStart, 0);
  }

  private int bucketFor(long now) {
    long start = now - Math.floorMod(now, bucketMillis);
    int index = (int) Math.floorMod(start / bucketMillis, (long) BUCKETS);
    if (bucketStart[index] != start) {
      bucketStart[index] = start;
      successes[index] = 0;
      failures[index] = 0;
    }
    return index;
  }

  private boolean failureRateReached(long now) {
    long oldest = now - config.window().toMillis();
    long total = 0;
    long failed = 0;
    for (int i = 0; i < BUCKETS; i++) {
      if (bucketStart[i] > oldest) {
        total += successes[i] + failures[i];
        failed += failures[i];
      }
    }
    return total >= config.minimumSamples()
        && failed >= config.failureRateThreshold() * total;
  }

  /** Compared by identity: a permission stands for the closed period or the probe it was granted for. */
  private static final class Grant implements Permission {
    private final boolean granted;
    private final boolean probe;

    Grant(boolean granted, boolean probe) {
      this.granted = granted;
      this.probe = probe;
    }

    @Override
    public boolean granted() {
      return granted;
    }

    @Override
    public boolean probe() {
      return probe;
    }
  }
}
