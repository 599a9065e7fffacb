package dev.workqueue.internal;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/** Monotonic time and parking for rate limiters; tests substitute a manual one. */
public interface Ticker {

  /** The real one: {@link System#nanoTime()} and {@link LockSupport#parkNanos(long)}. */
  Ticker SYSTEM = new Ticker() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void park(long nanos) {
      LockSupport.parkNanos(nanos);
    }
  };

  /** Longest timeout honoured as given; longer ones are cut to it so deadlines cannot overflow. */
  Duration LONGEST_TIMEOUT = Duration.ofDays(36_500);

  /** Current monotonic time in nanoseconds; only differences are meaningful. */
  long nanoTime();

  /** Parks the calling thread for up to {@code nanos}; may return earlier. */
  void park(long nanos);

  /**
   * The {@link #nanoTime()} at which {@code timeout} from now runs out.
   *
   * @throws IllegalArgumentException if {@code timeout} is null or negative
   */
  default long deadlineAfter(Duration timeout) {
    if (timeout == null || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be zero or a positive duration, but was " + timeout);
    }
    return nanoTime() + (timeout.compareTo(LONGEST_TIMEOUT) > 0 ? LONGEST_TIMEOUT : timeout).toNanos();
  }

  /**
   * Parks until {@link #nanoTime()} reaches {@code deadline}, checking for interrupts after each
   * wake-up. Parking rather than sleeping in coarse steps keeps waits precise to the scheduler's
   * timer slack.
   *
   * @throws InterruptedException as soon as the thread is interrupted while waiting
   */
  default void parkUntil(long deadline) throws InterruptedException {
    long remaining;
    while ((remaining = deadline - nanoTime()) > 0) {
      park(remaining);
      if (Thread.interrupted()) {
        throw new InterruptedException("interrupted while waiting for a rate-limit permit");
      }
    }
  }
}
