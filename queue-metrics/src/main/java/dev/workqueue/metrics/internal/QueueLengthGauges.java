package dev.workqueue.metrics.internal;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code queue_length} gauges of one observer. Each tag value shows the sum of what every
 * running updater last read for it, so several backends add up, and an updater started after
 * another was closed still reaches the gauge that the registry keeps from the first.
 */
public final class QueueLengthGauges {
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Map<Object, Long>> readingsByTag = new ConcurrentHashMap<>();

  public QueueLengthGauges(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Records what {@code updater} read for {@code queueTag}: jobs waiting in all lanes. */
  void set(Object updater, String queueTag, long waiting) {
    readingsByTag.computeIfAbsent(queueTag, this::register).put(updater, waiting);
  }

  /** Forgets every reading of {@code updater}, which has stopped. */
  void remove(Object updater) {
    readingsByTag.values().forEach(readings -> readings.remove(updater));
  }

  private Map<Object, Long> register(String queueTag) {
    Map<Object, Long> readings = new ConcurrentHashMap<>();
    Gauge.builder("queue.length", readings,
            byUpdater -> byUpdater.values().stream().mapToLong(Long::longValue).sum())
        .description("Jobs waiting to run in the queue (all priority lanes), read from the backend")
        .tag(QueueMeters.QUEUE_TAG, queueTag)
        .strongReference(true)
        .register(registry);
    return readings;
  }
}
