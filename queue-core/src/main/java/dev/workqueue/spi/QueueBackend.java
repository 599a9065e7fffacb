package dev.workqueue.spi;

import dev.workqueue.DeadLetter;
import dev.workqueue.EnqueueResult;
import dev.workqueue.Job;
import dev.workqueue.QueueStats;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Storage for jobs. Producers, consumers and the admin API reach storage only through this
 * interface. Every method is one atomic transition of the backend's state (for Redis, one script
 * or transaction) and, for batch methods, one round trip per batch.
 *
 * <p>Implementations are thread-safe. Transient failures (the store cannot be reached) throw
 * {@link dev.workqueue.BackendUnavailableException}; all other failures throw another
 * {@link dev.workqueue.QueueException}. Methods called after {@link #close()} throw
 * {@link dev.workqueue.BackendClosedException}.
 */
public interface QueueBackend extends AutoCloseable {

  /**
   * Stores jobs, each in its lane or, when it is delayed, in the delayed set. A job is delayed
   * when its {@link Job#runAt()} is after its {@link Job#createdAt()} and still in the future by
   * the backend's clock; a job with {@code runAt == createdAt} is immediate whatever the clocks
   * of producer and backend say, so clock skew never delays it. A job whose idempotency key is
   * already known is not stored again. A key is known while the job that claimed it is in the
   * queue (waiting, delayed, leased, retrying or dead-lettered), and for {@code idempotencyTtl}
   * after it has left: completed, deleted, or its dead letter deleted or dropped by retention.
   *
   * @param jobs fully defaulted jobs with attempt 0
   * @param idempotencyTtl how long an idempotency key stays known after its job has left
   * @return one result per job, in order
   */
  List<EnqueueResult> enqueue(List<Job> jobs, Duration idempotencyTtl);

  /**
   * Takes up to {@link FetchRequest#maxJobs()} jobs in the request's priority order, leasing
   * each and counting the delivery in its attempt. Blocks on the server up to
   * {@link FetchRequest#maxWait()} while there is nothing to take. Due delayed jobs become
   * takeable without a separate call.
   *
   * @throws InterruptedException if the calling thread is interrupted while blocked
   */
  FetchResult fetch(FetchRequest request) throws InterruptedException;

  /**
   * Applies settlements; a settlement whose lease token is no longer current (the lease expired
   * and the job was recovered or handed on) is rejected and changes nothing.
   *
   * @return for each settlement, in order, whether it was accepted
   */
  List<Boolean> settle(List<Settlement> settlements);

  /**
   * Extends the given leases to {@code now + leaseDuration} and records the consumer as alive
   * for {@code consumerTtl}, in one round trip. A zero TTL records the consumer as gone: stats no
   * longer count it.
   *
   * @return the job ids whose leases were still held and are now extended
   */
  Set<String> heartbeat(String consumerId, String queue, Collection<Lease> leases,
      Duration leaseDuration, Duration consumerTtl);

  /**
   * Returns jobs of {@code queue} whose leases expired to the head of their lanes, their attempt
   * already counted. Safe when many consumers call it at once: each job is recovered once.
   *
   * @return the recovered jobs
   */
  List<Job> recoverExpired(String queue, int limit);

  /** Counts of every job state of one queue. */
  QueueStats stats(String queue);

  /**
   * The queues ever enqueued to, sorted by name: every queue that holds any job or dead letter,
   * and possibly queues emptied since. Fetching from a queue does not make it known.
   */
  List<String> queues();

  /** Up to {@code limit} waiting jobs of one lane, next to run first, without taking them. */
  List<Job> peek(String queue, String priority, int limit);

  /** Up to {@code limit} jobs of the delayed set, soonest first. */
  List<Job> peekDelayed(String queue, int limit);

  /** Up to {@code limit} dead letters of {@code queue}, oldest first. */
  List<DeadLetter> peekDead(String queue, int limit);

  /** Deletes every dead letter of {@code queue}; returns how many were removed. */
  long purgeDead(String queue);

  /**
   * Moves up to {@code limit} dead letters of {@code queue}, oldest first, back to their lanes
   * with their attempt count reset to 0; returns how many moved.
   */
  long requeueDead(String queue, int limit);

  /**
   * Deletes the waiting and delayed jobs of {@code queue} with id {@code jobId} (ids are unique
   * only while their idempotency keys are known, so there may be more than one); a leased job is
   * not touched. The idempotency key the job held stays known for its TTL, so a producer that
   * repeats the enqueue meanwhile does not bring the job back. A job that changes state while it is looked for (promoted,
   * fetched) may be missed.
   *
   * @return how many jobs were deleted
   */
  long deleteJob(String queue, String jobId);

  /** Deletes the dead letters of {@code queue} whose job id is {@code jobId}; returns how many. */
  long deleteDeadJob(String queue, String jobId);

  /**
   * Moves the dead letters of {@code queue} whose job id is {@code jobId} back to the tail of
   * their lanes with their attempt count reset to 0; returns how many moved. Letters whose job
   * cannot be read stay dead.
   */
  long requeueDeadJob(String queue, String jobId);

  /**
   * Pauses or resumes {@code queue}. While it is paused, {@link #fetch} takes none of its jobs
   * (nor promotes its due delayed jobs) and waits as on an empty queue; enqueues, settlements,
   * heartbeats and recovery go on. The state is kept in the store, for every consumer, until
   * changed; resuming wakes consumers waiting on the queue.
   *
   * @return whether the state changed (false when the queue already was paused, or running)
   */
  boolean setPaused(String queue, boolean paused);

  /** Checks that the store answers; throws {@link dev.workqueue.BackendUnavailableException} if not. */
  void ping();

  /** Releases what the backend created; never closes a client the caller passed in. Idempotent. */
  @Override
  void close();
}
