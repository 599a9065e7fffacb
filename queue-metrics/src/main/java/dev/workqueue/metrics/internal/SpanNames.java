package dev.workqueue.metrics.internal;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Span names of one messaging operation, {@code "<operation> <queue>"}, built once per queue
 * rather than once per job. Up to {@value #MAX_CACHED} queues are remembered; the names of any
 * further queues are built on each call, so that a producer feeding ever new queue names cannot
 * grow the cache without bound.
 */
public final class SpanNames {
  static final int MAX_CACHED = 1_024;

  private final String operation;
  private final ConcurrentHashMap<String, String> byQueue = new ConcurrentHashMap<>();

  /** Names for {@code operation}, such as {@code send} or {@code process}. */
  public SpanNames(String operation) {
    this.operation = operation;
  }

  /** The span name of this operation on {@code queue}. */
  public String of(String queue) {
    String name = byQueue.get(queue);
    if (name == null) {
      name = operation + " " + queue;
      if (byQueue.size() < MAX_CACHED) {
        byQueue.putIfAbsent(queue, name);
      }
    }
    return name;
  }

  int cached() {
    return byQueue.size();
  }
}
