package dev.workqueue.internal;

import dev.workqueue.EnqueueResult;
import dev.workqueue.Job;
import dev.workqueue.event.JobEnqueuedEvent;
import java.util.AbstractList;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * One enqueue call's jobs as an unmodifiable list of events, each built when it is read (why:
 * {@link SucceededEvents}).
 */
final class EnqueuedEvents extends AbstractList<JobEnqueuedEvent> implements RandomAccess {
  private final List<Job> jobs;
  private final boolean[] created;

  /**
   * {@code jobs} must not change afterwards; {@code results} are read now, since the caller gets
   * them and may change them while an observer still holds this list.
   */
  EnqueuedEvents(List<Job> jobs, List<EnqueueResult> results) {
    this.jobs = jobs;
    this.created = new boolean[jobs.size()];
    for (int i = 0; i < created.length; i++) {
      created[i] = results.get(i).created();
    }
  }

  @Override
  public JobEnqueuedEvent get(int index) {
    Objects.checkIndex(index, created.length);
    return new JobEnqueuedEvent(jobs.get(index), created[index]);
  }

  @Override
  public int size() {
    return created.length;
  }
}
