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
    long now = System.nanoTime();
    long due = next.get();
    if ((due == Long.MIN_VALUE || now - due >= 0) && next.compareAndSet(due, now + intervalNanos)) {
      log.warn(format, arguments);
    }
  }
}
