package dev.workqueue.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker whose time only moves when a test advances it or a caller parks on it. */
final class ManualTicker implements Ticker {
  private final long origin;
  private final AtomicLong now;

  ManualTicker(long origin) {
    this.origin = origin;
    this.now = new AtomicLong(origin);
  }

  @Override
  public long nanoTime() {
    return now.get();
  }

  @Override
  public void park(long nanos) {
    now.addAndGet(nanos);
  }

  void advance(Duration duration) {
    now.addAndGet(duration.toNanos());
  }

  /** Time passed since creation. */
  Duration elapsed() {
    return Duration.ofNanos(now.get() - origin);
  }
}
