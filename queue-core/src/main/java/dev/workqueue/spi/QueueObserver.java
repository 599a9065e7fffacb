package dev.workqueue.spi;

import dev.workqueue.event.CircuitBreakerStateChangedEvent;
import dev.workqueue.event.ConsumerStateChangedEvent;
import dev.workqueue.event.JobDeadLetteredEvent;
import dev.workqueue.event.JobEnqueuedEvent;
import dev.workqueue.event.JobFailedEvent;
import dev.workqueue.event.JobRecoveredEvent;
import dev.workqueue.event.JobRetriedEvent;
import dev.workqueue.event.JobStartedEvent;
import dev.workqueue.event.JobSucceededEvent;
import dev.workqueue.event.JobsEnqueueFailedEvent;
import dev.workqueue.event.JobsFetchedEvent;
import dev.workqueue.internal.CompositeObserver;
import java.util.List;

/**
 * Receives job and consumer events. Every method defaults to doing nothing, so an observer
 * overrides only what it needs. Methods are called on the thread where the event happened
 * (producer thread, worker thread, the consumer's settler or maintenance thread) and must be
 * quick and thread-safe. The library always calls observers through a guard: whatever an
 * observer throws is logged once and never disturbs job processing. The events that come per job
 * or per batch (enqueued, fetched, started, succeeded) are built only when some observer's class
 * overrides the method (or its batch form): an event no observer handles costs nothing.
 */
public interface QueueObserver {
  /** A do-nothing observer. */
  QueueObserver NOOP = new QueueObserver() {};

  /**
   * Called for each job a producer stored (or whose idempotency key it found already known),
   * by the default {@link #onEnqueuedBatch(List)}.
   */
  default void onEnqueued(JobEnqueuedEvent event) {}

  /**
   * Called once per enqueue call on the producer's thread, after its jobs were stored, with one
   * event per job in the order they were given. The default calls {@link #onEnqueued} for each;
   * an observer that counts can override this to update its meters once per batch rather than
   * once per job. The list is unmodifiable and may be kept; reading an element may build a new
   * event each time, equal to the last. An exception thrown here ends the batch's delivery to
   * this observer.
   */
  default void onEnqueuedBatch(List<JobEnqueuedEvent> events) {
    for (JobEnqueuedEvent event : events) {
      onEnqueued(event);
    }
  }

  /**
   * Called on the producer's thread when the backend failed a call to store jobs, before the
   * exception reaches the caller.
   */
  default void onEnqueueFailed(JobsEnqueueFailedEvent event) {}

  /**
   * Called once per fetch that took jobs, on the worker thread that fetched them, before any of
   * them runs.
   */
  default void onFetched(JobsFetchedEvent event) {}

  /** Called on the worker thread just before the handler runs. */
  default void onStarted(JobStartedEvent event) {}

  /**
   * Called for each job whose handler returned normally, by the default {@link
   * #onSucceededBatch(List)}.
   */
  default void onSucceeded(JobSucceededEvent event) {}

  /**
   * Called with the successful attempts of one batch of outcomes the consumer's settler thread
   * writes to the backend, in the order the handlers finished: on the settler once it has written
   * the batch, or, while outcomes arrive faster than it writes them, on one of the consumer's worker
   * threads between two jobs. A consumer makes one such call at a time, its batches in order, so
   * that meters updated here are not contended; it delivers every batch before {@code close()}
   * returns. Once sixteen batches wait, workers wait their turn to publish instead of running
   * jobs, so observers slower than the jobs slow the jobs down. The default calls {@link
   * #onSucceeded} for each; an observer that counts can override this to update its counters once
   * per batch rather than once per job. The list is unmodifiable and may be kept; reading an
   * element may build a new event each time, equal to the last. An exception thrown here ends the
   * batch's delivery to this observer.
   */
  default void onSucceededBatch(List<JobSucceededEvent> events) {
    for (JobSucceededEvent event : events) {
      onSucceeded(event);
    }
  }

  /** Called after an attempt failed; a retried or dead-lettered event follows. */
  default void onFailed(JobFailedEvent event) {}

  /** Called after a failed job was scheduled for another attempt. */
  default void onRetried(JobRetriedEvent event) {}

  /** Called after a job moved to the dead-letter queue. */
  default void onDeadLettered(JobDeadLetteredEvent event) {}

  /** Called after a reaper returned a job with an expired lease to its queue. */
  default void onRecovered(JobRecoveredEvent event) {}

  /** Called when a consumer changes lifecycle state. */
  default void onConsumerStateChanged(ConsumerStateChangedEvent event) {}

  /** Called when a consumer's circuit breaker changes state. */
  default void onCircuitBreakerStateChanged(CircuitBreakerStateChangedEvent event) {}

  /**
   * One observer that forwards each event to every given observer in order, each through its own
   * guard, so one failing observer does not keep the event from the others.
   */
  static QueueObserver composite(List<? extends QueueObserver> observers) {
    return CompositeObserver.of(observers);
  }
}
