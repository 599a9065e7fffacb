package dev.workqueue.internal;

import dev.workqueue.Job;
import dev.workqueue.event.JobSucceededEvent;
import java.time.Duration;
import java.util.AbstractList;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * One settler batch's successful attempts as an unmodifiable list of events, each event built
 * when an observer reads it. Why not a list of ready events: building an event and its duration
 * per job cost the settler as much as a Micrometer timer update, while an observer that reads an
 * event's fields and lets it go lets the JIT leave it unallocated.
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
