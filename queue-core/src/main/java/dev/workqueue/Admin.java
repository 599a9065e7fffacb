package dev.workqueue;

import dev.workqueue.internal.Names;
import dev.workqueue.internal.Problems;
import dev.workqueue.spi.QueueBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Operator actions over a backend: counts, peeking, deleting jobs and dead-letter handling.
 * Operations that name a queue throw {@link UnknownQueueException} when the backend does not know
 * it (see {@link #queues()}), so a typo is reported rather than answered with zeros. Does not own
 * the backend.
 */
public final class Admin {
  private final QueueBackend backend;

  private Admin(QueueBackend backend) {
    this.backend = Objects.requireNonNull(backend, "backend");
  }

  /** Admin operations on {@code backend}. */
  public static Admin of(QueueBackend backend) {
    return new Admin(backend);
  }

  /**
   * The queues the backend knows, sorted: those ever enqueued to, including queues emptied since.
   * A queue that consumers only poll is not known.
   */
  public List<String> queues() {
    return backend.queues();
  }

  /** Stats of every known queue, sorted by queue name. */
  public List<QueueStats> stats() {
    List<QueueStats> all = new ArrayList<>();
    for (String queue : backend.queues()) {
      all.add(backend.stats(queue));
    }
    return all;
  }

  /**
   * Stats of one queue.
   *
   * @throws UnknownQueueException if the backend does not know {@code queue} (see {@link #queues()})
   */
  public QueueStats stats(String queue) {
    requireKnown(queue);
    return backend.stats(queue);
  }

  /**
   * Up to {@code limit} waiting jobs of one priority lane, next first.
   *
   * @throws UnknownQueueException if the backend does not know {@code queue} (see {@link #queues()})
   * @throws IllegalArgumentException if {@code priority} is not a valid name or {@code limit} is
   *     not positive
   */
  public List<Job> peek(String queue, String priority, int limit) {
    // The in-memory backend threw a bare NullPointerException here, Redis answered an empty lane.
    if (!Names.isValid(priority)) {
      throw new IllegalArgumentException(
          "priority must be " + Names.RULE + ", but was " + Problems.describe(priority));
    }
    requireKnown(queue);
    return backend.peek(queue, priority, positive(limit));
  }

  /** Up to {@code limit} delayed jobs, soonest first; throws as {@link #peek}. */
  public List<Job> peekDelayed(String queue, int limit) {
    requireKnown(queue);
    return backend.peekDelayed(queue, positive(limit));
  }

  /** Up to {@code limit} dead letters, oldest first; throws as {@link #peek}. */
  public List<DeadLetter> peekDead(String queue, int limit) {
    requireKnown(queue);
    return backend.peekDead(queue, positive(limit));
  }

  /**
   * Deletes every dead letter of {@code queue}; returns how many were removed.
   *
   * @throws UnknownQueueException if the backend does not know {@code queue} (see {@link #queues()})
   */
  public long purgeDead(String queue) {
    requireKnown(queue);
    return backend.purgeDead(queue);
  }

  /**
   * Moves up to {@code limit} dead letters back to their lanes with a fresh attempt count;
   * returns how many moved.
   *
   * @throws UnknownQueueException if the backend does not know {@code queue} (see {@link #queues()})
   */
  public long requeueDead(String queue, int limit) {
    requireKnown(queue);
    return backend.requeueDead(queue, positive(limit));
  }

  /**
   * Deletes the waiting and delayed jobs of {@code queue} with id {@code jobId}; returns how many
   * were deleted (0 when none waits, for example because it runs: a running job cannot be
   * deleted). The job's idempotency key stays known for the producer's TTL from the deletion, so
   * a producer repeating the enqueue meanwhile does not bring it back. A job that changes state meanwhile (promoted, fetched) may be missed.
   *
   * @throws UnknownQueueException if the backend does not know {@code queue} (see {@link #queues()})
   * @throws IllegalArgumentException if {@code jobId} is null or blank
   */
  public long deleteJob(String queue, String jobId) {
    requireJobId(jobId);
    requireKnown(queue);
    return backend.deleteJob(queue, jobId);
  }

  /** Deletes the dead letters of job {@code jobId}; returns how many; throws as {@link #deleteJob}. */
  public long deleteDeadJob(String queue, String jobId) {
    requireJobId(jobId);
    requireKnown(queue);
    return backend.deleteDeadJob(queue, jobId);
  }

  /**
   * Moves the dead letters of job {@code jobId} back to their lanes with a fresh attempt count;
   * returns how many moved (letters whose job cannot be read stay dead); throws as {@link
   * #deleteJob}.
   */
  public long requeueDeadJob(String queue, String jobId) {
    requireJobId(jobId);
    requireKnown(queue);
    return backend.requeueDeadJob(queue, jobId);
  }

  /**
   * Pauses {@code queue}: consumers finish the jobs they hold but take no more of it until
   * {@link #resume(String) resumed}; producers go on enqueueing. The state is kept in the backend,
   * for every consumer. Returns false when the queue already was paused.
   *
   * @throws UnknownQueueException if the backend does not know {@code queue} (see {@link #queues()})
   */
  public boolean pause(String queue) {
    requireKnown(queue);
    return backend.setPaused(queue, true);
  }

  /** Lets consumers take jobs of a paused queue again; returns false when it was not paused. */
  public boolean resume(String queue) {
    requireKnown(queue);
    return backend.setPaused(queue, false);
  }

  private static void requireJobId(String jobId) {
    if (jobId == null || jobId.isBlank()) {
      throw new IllegalArgumentException("jobId must be a job's id, but was " + Problems.describe(jobId));
    }
  }

  private void requireKnown(String queue) {
    if (!Names.isValid(queue)) {
      throw new IllegalArgumentException(
          "queue must be " + Names.RULE + ", but was " + Problems.describe(queue));
    }
    List<String> known = backend.queues();
    if (!known.contains(queue)) {
      throw new UnknownQueueException(queue, known);
    }
  }

  private static int positive(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, but was " + limit);
    }
    return limit;
  }
}
