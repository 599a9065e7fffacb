package dev.workqueue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

/** A clock tests move by hand, counting how often it was read in milliseconds. */
public final class MutableClock extends Clock {
  private final AtomicInteger millisReads = new AtomicInteger();
  private volatile Instant now;

  public MutableClock(Instant start) {
    this.now = start;
  }

  public void advance(Duration duration) {
    now = now.plus(duration);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public long millis() {
    millisReads.incrementAndGet();
    return now.toEpochMilli();
  }

  /** How many times {@link #millis()} was called. */
  public int millisReads() {
    return millisReads.get();
  }
}
