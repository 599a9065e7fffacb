package dev.workqueue.metrics.internal;

import dev.workqueue.CircuitBreakerState;
import dev.workqueue.Consumer;
import dev.workqueue.ConsumerState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * Pull-style gauges of bound consumers, one series per consumer name and queue tag. Consumers
 * sharing a name and queue (several instances of one host) are read together: their active
 * workers are summed and the worst circuit-breaker state wins. Stopped consumers are let go at the
 * next read (their series stays, at 0), so a host that replaces consumers does not keep old ones.
 */
public final class ConsumerGauges {
  private final MeterRegistry registry;
  private final QueueTagFolder folder;
  private final ConcurrentHashMap<Key, Group> groups = new ConcurrentHashMap<>();

  public ConsumerGauges(MeterRegistry registry, QueueTagFolder folder) {
    this.registry = registry;
    this.folder = folder;
  }

  /** Adds {@code consumer} to the gauges of its name and queue, registering them on first use. */
  public void bind(Consumer consumer) {
    Key key = new Key(consumer.name(), folder.tagFor(consumer.queue()));
    groups.computeIfAbsent(key, this::register).consumers.addIfAbsent(consumer);
  }

  private Group register(Key key) {
    Group group = new Group(new CopyOnWriteArrayList<>());
    Tags tags = Tags.of("consumer", key.consumer(), QueueMeters.QUEUE_TAG, key.queueTag());
    Gauge.builder("worker.active", group, Group::activeWorkers)
        .description("Worker threads of the consumer running a handler right now")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    Gauge.builder("circuit.breaker.state", group, Group::breakerCode)
        .description("Circuit breaker of the consumer: 0 closed, 1 half-open, 2 open")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    return group;
  }

  private record Key(String consumer, String queueTag) {}

  private record Group(CopyOnWriteArrayList<Consumer> consumers) {
    double activeWorkers() {
      return live().mapToInt(Consumer::activeWorkers).sum();
    }

    double breakerCode() {
      return live().mapToInt(consumer -> consumer.circuitBreakerState().code())
          .max().orElse(CircuitBreakerState.CLOSED.code());
    }

    private Stream<Consumer> live() {
      consumers.removeIf(consumer -> consumer.state() == ConsumerState.STOPPED);
      return consumers.stream();
    }
  }
}
