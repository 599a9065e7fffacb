package dev.workqueue.internal;

import dev.workqueue.Job;
import dev.workqueue.event.JobSucceededEvent;
import java.time.Duration;
import java.util.AbstractList;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * One settler batch's successful attempts as an unmodifiable list of events, each event built
 * when an observer reads it. Why not a list of ready events: in a profile of no-op jobs, building
 * them took the settler about as long as the Micrometer timer update it fed, while an event that
 * an observer reads and lets go is one the JIT need not allocate (its {@link Duration} still is).
 */
final class SucceededEvents extends AbstractList<JobSucceededEvent> implements RandomAccess {
  private final String consumer;
  private final String queue;
  private final Job[] jobs;
  private final long[] handlerNanos;
  private int size;

  SucceededEvents(String consumer, String queue, int capacity) {
    this.consumer = consumer;
    this.queue = queue;
    this.jobs = new Job[capacity];
    this.handlerNanos = new long[capacity];
  }

  /** Adds an attempt while the settler builds the batch, before any observer sees the list. */
  void addAttempt(Job job, long nanos) {
    jobs[size] = job;
    handlerNanos[size] = nanos;
    size++;
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
