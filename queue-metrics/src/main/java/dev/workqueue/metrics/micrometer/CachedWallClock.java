package dev.workqueue.metrics.micrometer;

import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.internal.NamedThreads;
import dev.workqueue.internal.Problems;
import io.micrometer.core.instrument.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Micrometer {@link Clock} whose wall time is read from memory, refreshed by a background thread
 * every {@link #resolution()}, instead of from the operating system on every call.
 *
 * <p>Why: a Micrometer timer with a histogram reads the wall clock twice per recorded value (to
 * rotate its maximum and its histogram), and on virtual machines each read costs 20-30 ns. For
 * {@link MicrometerQueueObserver} that is most of its cost per job; with this clock the observer's
 * work per job, timed alone, drops from 70-90 ns to 30-50 ns (see {@code docs/observability.md}).
 * Nothing in Micrometer needs the wall time finer than the default resolution of 10 ms: it only
 * decides when time windows and publishing steps roll over. {@link #monotonicTime()}, which timers
 * use to measure durations, still reads {@link System#nanoTime()}.
 *
 * <pre>{@code
 * CachedWallClock clock = CachedWallClock.start();
 * PrometheusMeterRegistry registry =
 *     new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock);
 * ...
 * registry.close();
 * clock.close();
 * }</pre>
 *
 * <p>After {@link #close()} the clock reads the operating system on every call again, so a
 * registry that outlives it still sees the right time.
 */
public final class CachedWallClock implements Clock, AutoCloseable {
  /** Default {@link #resolution()}: 10 ms. */
  public static final Duration DEFAULT_RESOLUTION = Duration.ofMillis(10);
  private static final Duration FINEST = Duration.ofMillis(1);
  private static final Duration COARSEST = Duration.ofSeconds(1);
  // Stored in wallTimeMillis once closed, telling readers to ask the operating system.
  private static final long CLOSED = -1;

  private final Duration resolution;
  private final ScheduledExecutorService refresher =
      Executors.newSingleThreadScheduledExecutor(NamedThreads.single("metrics", "clock"));
  private final AtomicLong wallTimeMillis = new AtomicLong(System.currentTimeMillis());

  private CachedWallClock(Duration resolution) {
    this.resolution = resolution;
  }

  /** A clock refreshed every {@link #DEFAULT_RESOLUTION}. */
  public static CachedWallClock start() {
    return start(DEFAULT_RESOLUTION);
  }

  /**
   * A clock refreshed every {@code resolution}.
   *
   * @throws InvalidConfigurationException if {@code resolution} is not between 1 ms and 1 s
   */
  public static CachedWallClock start(Duration resolution) {
    new Problems("cached wall clock")
        .notNull(resolution, "resolution")
        .check(resolution == null || isSupported(resolution), "resolution", "between 1 ms and 1 s",
            resolution)
        .throwIfAny();
    CachedWallClock clock = new CachedWallClock(resolution);
    long nanos = resolution.toNanos();
    clock.refresher.scheduleAtFixedRate(clock::refresh, nanos, nanos, TimeUnit.NANOSECONDS);
    return clock;
  }

  private static boolean isSupported(Duration resolution) {
    return resolution.compareTo(FINEST) >= 0 && resolution.compareTo(COARSEST) <= 0;
  }

  /** How often the wall time is refreshed, and so how far behind it may be. */
  public Duration resolution() {
    return resolution;
  }

  @Override
  public long wallTime() {
    long cached = wallTimeMillis.get();
    return cached != CLOSED ? cached : System.currentTimeMillis();
  }

  @Override
  public long monotonicTime() {
    return System.nanoTime();
  }

  private void refresh() {
    long now = System.currentTimeMillis();
    // Never overwrites the closed marker, even when close() did not wait for this refresh.
    wallTimeMillis.getAndUpdate(cached -> cached == CLOSED ? CLOSED : now);
  }

  /** Stops the refreshing thread; later calls read the operating system's clock. */
  @Override
  public void close() {
    refresher.shutdownNow();
    wallTimeMillis.set(CLOSED);
  }
}
