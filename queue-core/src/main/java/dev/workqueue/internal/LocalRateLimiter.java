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
 * The schedule the head will leave behind is published, so a caller with a timeout can see
 * without joining the line that its permits cannot be due in time.
 */
public final class LocalRateLimiter implements RateLimiter {
  private final Gcra gcra;
  private final Jitter jitter;
  private final Ticker ticker;
  private final ReentrantLock line = new ReentrantLock(true);
  private Gcra.Tat theoreticalArrival;
  /** The theoretical arrival once the caller at the head of the line records its admission. */
  private volatile Gcra.Tat scheduleAfterHead;

  public LocalRateLimiter(RateLimiterConfig config) {
    this(config, Ticker.SYSTEM);
  }

  public LocalRateLimiter(RateLimiterConfig config, Ticker ticker) {
    this.gcra = Gcra.of(Objects.requireNonNull(config, "config"));
    this.jitter = Jitter.of(config);
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.theoreticalArrival = Gcra.Tat.at(ticker.nanoTime());
    this.scheduleAfterHead = theoreticalArrival;
  }

  @Override
  public void acquire(int permits) throws InterruptedException {
    gcra.checkPermits(permits);
    line.lockInterruptibly();
    try {
      long now = ticker.nanoTime();
      Gcra.Admission admission = gcra.admit(theoreticalArrival, now, permits);
      if (!admission.isImmediate(now)) {
        scheduleAfterHead = admission.theoreticalArrival();
        ticker.parkUntil(admission.at() + jitter.nextNanos());
      }
      theoreticalArrival = admission.theoreticalArrival();
    } finally {
      leaveLine();
    }
  }

  /** Publishes the recorded schedule (the head's, or the old one if it gave up) and unlocks. */
  private void leaveLine() {
    scheduleAfterHead = theoreticalArrival;
    line.unlock();
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
      leaveLine();
    }
  }

  @Override
  public boolean tryAcquire(int permits, Duration timeout) throws InterruptedException {
    gcra.checkPermits(permits);
    long deadline = ticker.deadlineAfter(timeout);
    // Even were nobody else waiting, the permits could only be due after the head's admission.
    if (gcra.admit(scheduleAfterHead, ticker.nanoTime(), permits).at() - deadline > 0) {
      return false;
    }
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
        scheduleAfterHead = admission.theoreticalArrival();
        long wakeAt = admission.at() + jitter.nextNanos();
        ticker.parkUntil(wakeAt - deadline > 0 ? deadline : wakeAt);
      }
      theoreticalArrival = admission.theoreticalArrival();
      return true;
    } finally {
      leaveLine();
    }
  }

  @Override
  public String toString() {
    return "LocalRateLimiter[emissionIntervalNanos=" + gcra.emissionIntervalNanos() + ", burst=" + gcra.burst() + "]";
  }
}
