package dev.workqueue.metrics.internal;

import dev.workqueue.internal.NamedThreads;
import dev.workqueue.internal.RateLimitedWarning;
import dev.workqueue.metrics.micrometer.QueueLengthUpdater;
import dev.workqueue.spi.QueueBackend;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Refreshes {@code queue_length} gauges from a backend's stats on a named background thread. */
public final class ScheduledQueueLengthUpdater implements QueueLengthUpdater {
  private static final Logger log = LoggerFactory.getLogger(ScheduledQueueLengthUpdater.class);

  private final QueueBackend backend;
  private final MeterRegistry registry;
  private final QueueTagFolder folder;
  private final ConcurrentHashMap<String, AtomicLong> lengths = new ConcurrentHashMap<>();
  private final RateLimitedWarning failureWarning = new RateLimitedWarning(Duration.ofSeconds(30));
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(NamedThreads.single("metrics", "queue-length"));

  private ScheduledQueueLengthUpdater(QueueBackend backend, MeterRegistry registry, QueueTagFolder folder) {
    this.backend = backend;
    this.registry = registry;
    this.folder = folder;
  }

  /** Creates the updater and schedules its first refresh immediately, then every {@code interval}. */
  public static ScheduledQueueLengthUpdater start(QueueBackend backend, MeterRegistry registry,
      QueueTagFolder folder, Duration interval) {
    ScheduledQueueLengthUpdater updater = new ScheduledQueueLengthUpdater(backend, registry, folder);
    updater.scheduler.scheduleWithFixedDelay(updater::refresh, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    return updater;
  }

  @Override
  public void refresh() {
    Map<String, Long> waitingByTag = new HashMap<>();
    try {
      for (String queue : backend.queues()) {
        waitingByTag.merge(folder.tagFor(queue), backend.stats(queue).totalWaiting(), Long::sum);
      }
    } catch (RuntimeException e) {
      failureWarning.warn(log, "could not read queue lengths from the backend: {}", e.toString());
      return;
    }
    waitingByTag.forEach((tag, waiting) -> lengths.computeIfAbsent(tag, this::register).set(waiting));
    // A queue the backend no longer reports has no waiting jobs; keep its series at 0.
    lengths.forEach((tag, length) -> {
      if (!waitingByTag.containsKey(tag)) {
        length.set(0);
      }
    });
  }

  private AtomicLong register(String queueTag) {
    AtomicLong length = new AtomicLong();
    Gauge.builder("queue.length", length, AtomicLong::get)
        .description("Jobs waiting to run in the queue (all priority lanes), read from the backend")
        .tag(QueueMeters.QUEUE_TAG, queueTag)
        .strongReference(true)
        .register(registry);
    return length;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      // A refresh under way finishes first, so none reads the backend after close() returned.
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
