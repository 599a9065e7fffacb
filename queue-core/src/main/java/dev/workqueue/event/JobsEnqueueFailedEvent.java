package dev.workqueue.event;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.Job;
import java.util.List;
import java.util.Objects;

/**
 * A producer's call to store jobs failed at the backend; the exception then reaches the caller.
 * Jobs that failed the producer's own checks (payload size, names) never reach the backend and are
 * not reported here.
 *
 * @param jobs the jobs of the call, with the ids they were given; never empty. After an {@link
 *     BackendUnavailableException} some or all of them may have been stored all the same.
 * @param error what the backend threw: a {@link BackendUnavailableException} when it could not be
 *     reached, another {@link dev.workqueue.QueueException} when it refused the call
 */
public record JobsEnqueueFailedEvent(List<Job> jobs, RuntimeException error) {
  /** Keeps an unmodifiable copy of {@code jobs}. */
  public JobsEnqueueFailedEvent {
    jobs = List.copyOf(jobs);
    Objects.requireNonNull(error, "error");
  }

  /** Whether the backend could not be reached, rather than refused the call. */
  public boolean unavailable() {
    return error instanceof BackendUnavailableException;
  }
}
