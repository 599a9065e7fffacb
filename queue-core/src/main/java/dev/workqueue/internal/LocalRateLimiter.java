package dev.workqueue.internal;

import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-process limiter: {@link Gcra} over one theoretical arrival time. Callers line up on a
 * fair lock; the caller at the head computes its admission, parks until then (plus jitter) while
 * still holding the lock, and only then records the new schedule. So an interrupted or timed-out
 * caller leaves no trace, and nobody can slip in between a computed admission and its record.
 */
public final class LocalRateLimiter implements RateLimiter {
  private final Gcra gcra;
  private final Jitter jitter;
  private final Ticker ticker;
  private final ReentrantLock line = new ReentrantLock(true);
  private long theoreticalArrival;

  public LocalRateLimiter(RateLimiterConfig config) {
    this(config, Ticker.SYSTEM);
  }

  public LocalRateLimiter(RateLimiterConfig config, Ticker ticker) {
    this.gcra = Gcra.of(Objects.requireNonNull(config, "config"));
    this.jitter = Jitter.of(config);
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.theoreticalArrival = ticker.nanoTime();
  }

  @Override
  public void acquire(int permits) throws InterruptedException {
    gcra.checkPermits(permits);
    line.lockInterruptibly();
    try {
      long now = ticker.nanoTime();
      Gcra.Admission admission = gcra.admit(theoreticalArrival, now, permits);
      if (!admission.isImmediate(now)) {
        ticker.parkUntil(admission.at() + jitter.nextNanos());
      }
      theoreticalArrival = admission.theoreticalArrival();
    } finally {
      line.unlock();
    }
  }

  @Override
  public boolean tryAcquire(int permits) {
    gcra.checkPermits(permits);
    if (!line.tryLock()) {
      return false;
    }
    try {
      long now = ticker.nanoTime();
      Gcra.Admission admission = gcra.admit(theoreticalArrival, now, permits);
      if (!admission.isImmediate(now)) {
        return false;
      }
      theoreticalArrival = admission.theoreticalArrival();
      return true;
    } finally {
      line.unlock();
    }
  }

  @Override
  public boolean tryAcquire(int permits, Duration timeout) throws InterruptedException {
    gcra.checkPermits(permits);
    long deadline = ticker.deadlineAfter(timeout);
    if (!line.tryLock(deadline - ticker.nanoTime(), TimeUnit.NANOSECONDS)) {
      return false;
    }
    try {
      long now = ticker.nanoTime();
      Gcra.Admission admission = gcra.admit(theoreticalArrival, now, permits);
      if (!admission.isImmediate(now)) {
        if (admission.at() - deadline > 0) {
          return false;
        }
        long wakeAt = admission.at() + jitter.nextNanos();
        ticker.parkUntil(wakeAt - deadline > 0 ? deadline : wakeAt);
      }
      theoreticalArrival = admission.theoreticalArrival();
      return true;
    } finally {
      line.unlock();
    }
  }

  @Override
  public String toString() {
    return "LocalRateLimiter[emissionIntervalNanos=" + gcra.emissionIntervalNanos() + ", burst=" + gcra.burst() + "]";
  }
}
