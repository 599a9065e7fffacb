package dev.workqueue.metrics.internal;

import dev.workqueue.QueueStats;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;

/**
 * The gauges of one observer that show what a backend holds per queue tag: {@code queue_length}
 * (waiting in all lanes), {@code queue_delayed}, {@code queue_in_flight}, {@code
 * queue_dead_letters} and {@code queue_paused}. Each shows the sum of what every running updater
 * last read for the tag, so several backends add up, and an updater started after another was
 * closed still reaches the gauges that the registry keeps from the first.
 */
public final class QueueLengthGauges {
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Map<Object, Counts>> readingsByTag = new ConcurrentHashMap<>();

  public QueueLengthGauges(MeterRegistry registry) {
    this.registry = registry;
  }

  /** What one read found for a tag, summed over the queues folded into it. */
  record Counts(long waiting, long delayed, long inFlight, long dead, long paused) {
    static final Counts NONE = new Counts(0, 0, 0, 0, 0);

    static Counts of(QueueStats stats) {
      return new Counts(stats.totalWaiting(), stats.delayed(), stats.inFlight(), stats.dead(),
          stats.paused() ? 1 : 0);
    }

    Counts plus(Counts other) {
      return new Counts(waiting + other.waiting, delayed + other.delayed, inFlight + other.inFlight,
          dead + other.dead, paused + other.paused);
    }
  }

  /** Records what {@code updater} read for {@code queueTag}. */
  void set(Object updater, String queueTag, Counts counts) {
    readingsByTag.computeIfAbsent(queueTag, this::register).put(updater, counts);
  }

  /** Forgets every reading of {@code updater}, which has stopped. */
  void remove(Object updater) {
    readingsByTag.values().forEach(readings -> readings.remove(updater));
  }

  private Map<Object, Counts> register(String queueTag) {
    Map<Object, Counts> readings = new ConcurrentHashMap<>();
    gauge("queue.length", "Jobs waiting to run in the queue (all priority lanes), read from the backend",
        queueTag, readings, Counts::waiting);
    gauge("queue.delayed", "Jobs of the queue waiting for their run time (delayed jobs and retries)",
        queueTag, readings, Counts::delayed);
    gauge("queue.in.flight", "Jobs of the queue leased to consumers", queueTag, readings, Counts::inFlight);
    gauge("queue.dead.letters", "Jobs in the queue's dead-letter queue", queueTag, readings, Counts::dead);
    gauge("queue.paused", "1 while the queue is paused (for a folded tag: how many of its queues are)",
        queueTag, readings, Counts::paused);
    return readings;
  }

  private void gauge(String name, String description, String queueTag, Map<Object, Counts> readings,
      ToLongFunction<Counts> figure) {
    Gauge.builder(name, readings, byUpdater -> byUpdater.values().stream().mapToLong(figure).sum())
        .description(description)
        .tag(QueueMeters.QUEUE_TAG, queueTag)
        .strongReference(true)
        .register(registry);
  }
}
