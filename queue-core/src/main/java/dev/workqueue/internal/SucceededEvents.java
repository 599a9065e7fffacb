package dev.workqueue.internal;

import dev.workqueue.Job;
import dev.workqueue.event.JobSucceededEvent;
import java.time.Duration;
import java.util.AbstractList;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * One settler batch's successful attempts as an unmodifiable list of events, each built when it
 * is read. In a profile of no-op jobs, building the events up front took the settler about as
 * long as the Micrometer timer update they fed; an event an observer reads and lets go is one the
 * JIT need not allocate, when it reads them by index ({@code MicrometerQueueObserver} does):
 * through {@link AbstractList}'s iterator, which every such list shares, they were allocated
 * again. For the same reason {@link EnqueuedEvents} is a class of its own rather than both being
 * one list with a builder function.
 */
final class SucceededEvents extends AbstractList<JobSucceededEvent> implements RandomAccess {
  private final String consumer;
  private final String queue;
  private final Job[] jobs;
  private final long[] handlerNanos;
  private final int size;

  /** The first {@code size} of {@code jobs} and {@code handlerNanos}, which must not change afterwards. */
  SucceededEvents(String consumer, String queue, Job[] jobs, long[] handlerNanos, int size) {
    this.consumer = consumer;
    this.queue = queue;
    this.jobs = jobs;
    this.handlerNanos = handlerNanos;
    this.size = size;
  }

  @Override
  public JobSucceededEvent get(int index) {
    Objects.checkIndex(index, size);
    return new JobSucceededEvent(jobs[index], consumer, queue, Duration.ofNanos(handlerNanos[index]));
  }

  @Override
  public int size() {
    return size;
  }
}
