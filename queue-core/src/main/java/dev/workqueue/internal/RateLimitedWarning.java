package dev.workqueue.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/** Logs a recurring warning at most once per interval, so an outage does not flood the log. */
public final class RateLimitedWarning {
  private final long intervalNanos;
  private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);

  public RateLimitedWarning(Duration interval) {
    this.intervalNanos = interval.toNanos();
  }

  public void warn(Logger log, String format, Object... arguments) {
    if (due()) {
      log.warn(format, arguments);
    }
  }

  /** Whether a line may be logged now; if so, the next one may not until the interval has passed. */
  public boolean due() {
    long now = System.nanoTime();
    long due = next.get();
    return (due == Long.MIN_VALUE || now - due >= 0) && next.compareAndSet(due, now + intervalNanos);
  }
}
