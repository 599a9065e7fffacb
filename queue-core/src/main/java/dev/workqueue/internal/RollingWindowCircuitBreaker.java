package dev.workqueue.internal;

import dev.workqueue.CircuitBreaker;
import dev.workqueue.CircuitBreakerConfig;
import dev.workqueue.CircuitBreakerState;
import java.time.Clock;
import java.util.Objects;
import java.util.function.BiConsumer;

/** Circuit breaker over a time-bucketed rolling window of outcomes. */
public final class RollingWindowCircuitBreaker implements CircuitBreaker {
  private static final int BUCKETS = 10;

  private final CircuitBreakerConfig config;
  private final Clock clock;
  private final BiConsumer<CircuitBreakerState, CircuitBreakerState> listener;
  private final long bucketMillis;
  private final long[] bucketStart = new long[BUCKETS];
  private final int[] successes = new int[BUCKETS];
  private final int[] failures = new int[BUCKETS];

  private CircuitBreakerState state = CircuitBreakerState.CLOSED;
  private long openedAt;
  private boolean probeOutstanding;

  public RollingWindowCircuitBreaker(CircuitBreakerConfig config, Clock clock,
      BiConsumer<CircuitBreakerState, CircuitBreakerState> listener) {
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.bucketMillis = Math.max(1, config.window().toMillis() / BUCKETS);
  }

  @Override
  public boolean tryAcquirePermission() {
    CircuitBreakerState before;
    synchronized (this) {
      before = state;
      switch (state) {
        case CLOSED:
          return true;
        case OPEN:
          long now = clock.millis();
          if (now < openedAt) {
            // The clock was set back: restart the cooldown rather than stay open for the jump.
            openedAt = now;
          }
          if (now - openedAt < config.cooldown().toMillis()) {
            return false;
          }
          state = CircuitBreakerState.HALF_OPEN;
          probeOutstanding = true;
          break;
        default:
          if (probeOutstanding) {
            return false;
          }
          probeOutstanding = true;
          return true;
      }
    }
    listener.accept(before, CircuitBreakerState.HALF_OPEN);
    return true;
  }

  @Override
  public synchronized void releasePermission() {
    if (state == CircuitBreakerState.HALF_OPEN) {
      probeOutstanding = false;
    }
  }

  @Override
  public void onSuccess() {
    record(true);
  }

  @Override
  public void onFailure() {
    record(false);
  }

  private void record(boolean success) {
    CircuitBreakerState before;
    CircuitBreakerState after;
    synchronized (this) {
      before = state;
      long now = clock.millis();
      if (state == CircuitBreakerState.HALF_OPEN) {
        probeOutstanding = false;
        clearWindow();
        if (success) {
          state = CircuitBreakerState.CLOSED;
        } else {
          open(now);
        }
      } else if (state == CircuitBreakerState.CLOSED) {
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

  private void open(long now) {
    state = CircuitBreakerState.OPEN;
    openedAt = now;
    clearWindow();
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

  private void clearWindow() {
    java.util.Arrays.fill(successes, 0);
    java.util.Arrays.fill(failures, 0);
    java.util.Arrays.fill(bucketStart, 0);
  }
}
