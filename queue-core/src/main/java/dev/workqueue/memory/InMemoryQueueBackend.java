package dev.workqueue.memory;

import dev.workqueue.BackendClosedException;
import dev.workqueue.DeadLetter;
import dev.workqueue.EnqueueResult;
import dev.workqueue.Job;
import dev.workqueue.QueueStats;
import dev.workqueue.internal.Problems;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.FetchResult;
import dev.workqueue.spi.Lease;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.Settlement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * A complete backend in the JVM's memory: leases, strict priority, delayed jobs, retries, dead
 * letters, idempotency keys and bounded completed history, with a fetch that blocks on a
 * condition instead of polling. Nothing survives the process. Use it for tests, for
 * single-process hosts, and as the runner's embedded default.
 *
 * <p>Thread-safe: every operation holds one lock for its whole transition, so each is atomic.
 */
public final class InMemoryQueueBackend implements QueueBackend {
  /** Default {@link Builder#completedHistorySize(int)}: 1,000 jobs. */
  public static final int DEFAULT_COMPLETED_HISTORY_SIZE = 1_000;
  /** Default {@link Builder#completedHistoryAge(Duration)}: 1 hour. */
  public static final Duration DEFAULT_COMPLETED_HISTORY_AGE = Duration.ofHours(1);
  /** Default {@link Builder#deadLetterLimit(int)}: {@value}, in effect no limit. */
  public static final int DEFAULT_DEAD_LETTER_LIMIT = Integer.MAX_VALUE;
  /** Default {@link Builder#deadLetterAge(Duration)}: 3650 days, in effect no limit. */
  public static final Duration DEFAULT_DEAD_LETTER_AGE = Problems.LONGEST_RETENTION;

  private final Clock clock;
  private final int completedHistorySize;
  private final long completedHistoryAgeMillis;
  private final int deadLetterLimit;
  private final long deadLetterAgeMillis;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, QueueState> queues = new TreeMap<>();
  private long sequence;
  private boolean closed;

  private InMemoryQueueBackend(Builder builder) {
    this.clock = builder.clock;
    this.completedHistorySize = builder.completedHistorySize;
    this.completedHistoryAgeMillis = builder.completedHistoryAge.toMillis();
    this.deadLetterLimit = builder.deadLetterLimit;
    this.deadLetterAgeMillis = builder.deadLetterAge.toMillis();
  }

  /** A backend with the defaults. */
  public static InMemoryQueueBackend create() {
    return builder().build();
  }

  /** Starts from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public List<EnqueueResult> enqueue(List<Job> jobs, Duration idempotencyTtl) {
    return locked(() -> {
      List<EnqueueResult> results = new ArrayList<>(jobs.size());
      long now = clock.millis();
      Set<QueueState> touched = new HashSet<>();
      for (Job job : jobs) {
        QueueState queue = queue(job.queue());
        queue.enqueued = true;
        boolean delayed = job.runAt().isAfter(job.createdAt()) && job.runAt().toEpochMilli() > now;
        String earlier = job.idempotencyKey() == null ? null
            : queue.claimIdempotencyKey(job.idempotencyKey(), job.id(), now, idempotencyTtl.toMillis());
        if (earlier != null) {
          results.add(new EnqueueResult(earlier, false));
          continue;
        }
        if (delayed) {
          queue.delayed.add(new DelayedJob(job.runAt().toEpochMilli(), sequence++, job));
        } else {
          queue.lane(job.priority()).addLast(job);
        }
        touched.add(queue);
        results.add(new EnqueueResult(job.id(), true));
      }
      touched.forEach(queue -> queue.ready.signalAll());
      return results;
    });
  }

  @Override
  public FetchResult fetch(FetchRequest request) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      checkOpen();
      QueueState queue = queue(request.queue());
      long waitUntil = System.nanoTime() + request.maxWait().toNanos();
      while (true) {
        long now = clock.millis();
        List<LeasedJob> taken = List.of();
        if (!queue.paused) {
          queue.promoteDue(now);
          taken = take(queue, request, now);
        }
        long left = waitUntil - System.nanoTime();
        if (!taken.isEmpty() || left <= 0 || closed) {
          return taken.isEmpty() ? FetchResult.empty() : new FetchResult(taken, List.of());
        }
        long untilDue = queue.paused ? Long.MAX_VALUE / 2 : queue.millisUntilNextDue(now);
        queue.ready.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(untilDue)));
      }
    } finally {
      lock.unlock();
    }
  }

  private List<LeasedJob> take(QueueState queue, FetchRequest request, long now) {
    List<LeasedJob> taken = new ArrayList<>();
    long deadline = now + request.leaseDuration().toMillis();
    for (String priority : request.priorities()) {
      ArrayDeque<Job> lane = queue.lanes.get(priority);
      while (lane != null && !lane.isEmpty() && taken.size() < request.maxJobs()) {
        Job job = lane.pollFirst();
        Job delivered = job.withAttempt(job.attempt() + 1);
        String token = request.consumerId() + ":" + (sequence++);
        queue.leases.put(token, new LeaseEntry(delivered, deadline));
        taken.add(new LeasedJob(delivered,
            new Lease(job.id(), job.queue(), token, Instant.ofEpochMilli(deadline))));
      }
    }
    return taken;
  }

  @Override
  public List<Boolean> settle(List<Settlement> settlements) {
    return locked(() -> {
      List<Boolean> accepted = new ArrayList<>(settlements.size());
      List<Released> released = new ArrayList<>();
      long now = clock.millis();
      for (Settlement settlement : settlements) {
        accepted.add(apply(settlement, now, released));
      }
      // Pushed to the lanes' heads last one first, so released jobs keep the batch's order there.
      for (int i = released.size() - 1; i >= 0; i--) {
        Released job = released.get(i);
        job.queue.lane(job.job.priority()).addFirst(job.job);
        job.queue.ready.signalAll();
      }
      return accepted;
    });
  }

  /** A job given back unfinished, bound for the head of its lane once its batch is applied. */
  private record Released(QueueState queue, Job job) {}

  private boolean apply(Settlement settlement, long now, List<Released> released) {
    Lease lease = settlement.lease();
    QueueState queue = queues.get(lease.queue());
    LeaseEntry entry = queue == null ? null : queue.leases.get(lease.token());
    if (entry == null || !entry.job.id().equals(lease.jobId())) {
      return false;
    }
    queue.leases.remove(lease.token());
    Job job = entry.job;
    if (settlement instanceof Settlement.Ack) {
      queue.completed.addLast(new Completed(job.id(), now));
      queue.trimCompleted(now);
      queue.releaseKey(job, now);
    } else if (settlement instanceof Settlement.Retry retry) {
      long runAt = now + retry.delay().toMillis();
      queue.delayed.add(new DelayedJob(runAt, sequence++, job.withRunAt(Instant.ofEpochMilli(runAt))));
      queue.ready.signalAll();
    } else if (settlement instanceof Settlement.DeadLetter dead) {
      queue.dead.addLast(new DeadEntry(new DeadLetter(job.id(), job.queue(), job, dead.error()), now));
      queue.trimDead(now);
    } else {
      released.add(new Released(queue, job.withAttempt(job.attempt() - 1)));
    }
    return true;
  }

  @Override
  public Set<String> heartbeat(String consumerId, String queueName, Collection<Lease> leases,
      Duration leaseDuration, Duration consumerTtl) {
    return locked(() -> {
      Set<String> kept = new HashSet<>();
      long now = clock.millis();
      QueueState queue = queue(queueName);
      queue.consumers.put(consumerId, now + consumerTtl.toMillis());
      for (Lease lease : leases) {
        LeaseEntry entry = queue.leases.get(lease.token());
        if (entry != null && entry.job.id().equals(lease.jobId())) {
          entry.deadline = now + leaseDuration.toMillis();
          kept.add(lease.jobId());
        }
      }
      return kept;
    });
  }

  @Override
  public List<Job> recoverExpired(String queueName, int limit) {
    return locked(() -> {
      List<Job> recovered = new ArrayList<>();
      QueueState queue = queues.get(queueName);
      if (queue == null) {
        return recovered;
      }
      long now = clock.millis();
      Iterator<LeaseEntry> entries = queue.leases.values().iterator();
      while (entries.hasNext() && recovered.size() < limit) {
        LeaseEntry entry = entries.next();
        if (entry.deadline <= now) {
          entries.remove();
          queue.lane(entry.job.priority()).addFirst(entry.job);
          recovered.add(entry.job);
        }
      }
      if (!recovered.isEmpty()) {
        queue.ready.signalAll();
      }
      return recovered;
    });
  }

  @Override
  public QueueStats stats(String queueName) {
    return locked(() -> {
      QueueState queue = queues.get(queueName);
      if (queue == null) {
        return new QueueStats(queueName, Map.of(), 0, 0, 0, 0, 0, false);
      }
      long now = clock.millis();
      queue.trimCompleted(now);
      queue.trimDead(now);
      queue.consumers.values().removeIf(expiry -> expiry <= now);
      Map<String, Long> waiting = new LinkedHashMap<>();
      queue.lanes.forEach((priority, lane) -> waiting.put(priority, (long) lane.size()));
      return new QueueStats(queueName, waiting, queue.leases.size(), queue.delayed.size(),
          queue.dead.size(), queue.completed.size(), queue.consumers.size(), queue.paused);
    });
  }

  @Override
  public List<String> queues() {
    // Fetches, heartbeats and recovery create a queue's state too; only enqueues make it known,
    // as on Redis, so a consumer of a mistyped name does not hide the typo from admin calls.
    return locked(() -> queues.entrySet().stream().filter(entry -> entry.getValue().enqueued)
        .map(Map.Entry::getKey).toList());
  }

  @Override
  public List<Job> peek(String queueName, String priority, int limit) {
    return locked(() -> {
      QueueState queue = queues.get(queueName);
      ArrayDeque<Job> lane = queue == null ? null : queue.lanes.get(priority);
      return lane == null ? List.<Job>of() : lane.stream().limit(limit).toList();
    });
  }

  @Override
  public List<Job> peekDelayed(String queueName, int limit) {
    return locked(() -> {
      QueueState queue = queues.get(queueName);
      return queue == null ? List.<Job>of()
          : queue.delayed.stream().sorted().limit(limit).map(DelayedJob::job).toList();
    });
  }

  @Override
  public List<DeadLetter> peekDead(String queueName, int limit) {
    return locked(() -> {
      QueueState queue = queues.get(queueName);
      if (queue == null) {
        return List.<DeadLetter>of();
      }
      queue.trimDead(clock.millis());
      return queue.dead.stream().limit(limit).map(DeadEntry::letter).toList();
    });
  }

  @Override
  public long purgeDead(String queueName) {
    long now = clock.millis();
    return countIn(queueName, queue -> {
      long removed = queue.dead.size();
      queue.dead.forEach(entry -> queue.releaseKey(entry.letter().job(), now));
      queue.dead.clear();
      return removed;
    });
  }

  @Override
  public long requeueDead(String queueName, int limit) {
    return countIn(queueName, queue -> {
      long moved = 0;
      while (!queue.dead.isEmpty() && moved < limit) {
        queue.requeue(queue.dead.pollFirst().letter().job());
        moved++;
      }
      return moved;
    });
  }

  @Override
  public long deleteJob(String queueName, String jobId) {
    long now = clock.millis();
    return countIn(queueName, queue -> {
      long deleted = 0;
      for (ArrayDeque<Job> lane : queue.lanes.values()) {
        deleted += removeAll(lane, job -> job.id().equals(jobId), job -> queue.releaseKey(job, now));
      }
      return deleted + removeAll(queue.delayed, delayed -> delayed.job().id().equals(jobId),
          delayed -> queue.releaseKey(delayed.job(), now));
    });
  }

  @Override
  public long deleteDeadJob(String queueName, String jobId) {
    long now = clock.millis();
    return countIn(queueName, queue -> {
      queue.trimDead(now);
      return removeAll(queue.dead, entry -> entry.letter().jobId().equals(jobId),
          entry -> queue.releaseKey(entry.letter().job(), now));
    });
  }

  @Override
  public long requeueDeadJob(String queueName, String jobId) {
    return countIn(queueName, queue -> {
      queue.trimDead(clock.millis());
      long moved = 0;
      for (Iterator<DeadEntry> entries = queue.dead.iterator(); entries.hasNext(); ) {
        Job job = entries.next().letter().job();
        if (job != null && job.id().equals(jobId)) {
          entries.remove();
          queue.requeue(job);
          moved++;
        }
      }
      return moved;
    });
  }

  /** Runs {@code action} on the queue's state holding the lock; 0 for a queue never seen. */
  private long countIn(String queueName, ToLongFunction<QueueState> action) {
    return locked(() -> {
      QueueState queue = queues.get(queueName);
      return queue == null ? 0L : action.applyAsLong(queue);
    });
  }

  private static <T> long removeAll(Collection<T> items, Predicate<T> matching, Consumer<T> onRemoved) {
    long removed = 0;
    for (Iterator<T> iterator = items.iterator(); iterator.hasNext(); ) {
      T item = iterator.next();
      if (matching.test(item)) {
        iterator.remove();
        onRemoved.accept(item);
        removed++;
      }
    }
    return removed;
  }

  @Override
  public boolean setPaused(String queueName, boolean paused) {
    return locked(() -> {
      QueueState queue = queue(queueName);
      if (queue.paused == paused) {
        return false;
      }
      queue.paused = paused;
      queue.ready.signalAll();
      return true;
    });
  }

  @Override
  public void ping() {
    locked(() -> null);
  }

  /** Runs {@code action} holding the lock, after checking that the backend is open. */
  private <T> T locked(Supplier<T> action) {
    lock.lock();
    try {
      checkOpen();
      return action.get();
    } finally {
      lock.unlock();
    }
  }

  /** Wakes blocked fetches, which then return empty; later calls throw {@link BackendClosedException}. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      queues.values().forEach(queue -> queue.ready.signalAll());
    } finally {
      lock.unlock();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new BackendClosedException("in-memory backend is closed");
    }
  }

  private QueueState queue(String name) {
    return queues.computeIfAbsent(name, ignored -> new QueueState(lock.newCondition()));
  }

  private record DelayedJob(long runAtMillis, long sequence, Job job) implements Comparable<DelayedJob> {
    @Override
    public int compareTo(DelayedJob other) {
      int byTime = Long.compare(runAtMillis, other.runAtMillis);
      return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
    }
  }

  private record Completed(String jobId, long atMillis) {}

  private record DeadEntry(DeadLetter letter, long atMillis) {}

  /** A key held by its job while that is in the queue, expiring {@code ttlMillis} after it left. */
  private record IdempotencyEntry(String key, String jobId, long ttlMillis, long expiresAtMillis) {
    static final long HELD = Long.MAX_VALUE;
  }

  private static final class LeaseEntry {
    final Job job;
    long deadline;

    LeaseEntry(Job job, long deadline) {
      this.job = job;
      this.deadline = deadline;
    }
  }

  /** Everything the backend holds for one queue. */
  private final class QueueState {
    final Condition ready;
    final Map<String, ArrayDeque<Job>> lanes = new TreeMap<>();
    final PriorityQueue<DelayedJob> delayed = new PriorityQueue<>();
    final Map<String, LeaseEntry> leases = new LinkedHashMap<>();
    /** Oldest first. Not keyed by job id: a producer may give two jobs one id, and both can die. */
    final ArrayDeque<DeadEntry> dead = new ArrayDeque<>();
    final ArrayDeque<Completed> completed = new ArrayDeque<>();
    final Map<String, Long> consumers = new HashMap<>();
    /** Whether a job was ever enqueued here: only then is the queue listed. */
    boolean enqueued;
    /** While set, fetches take nothing. */
    boolean paused;
    final Map<String, IdempotencyEntry> idempotencyKeys = new HashMap<>();
    /** The same entries, soonest expiry first, so a claim forgets expired keys without a scan. */
    final PriorityQueue<IdempotencyEntry> idempotencyExpiries =
        new PriorityQueue<>(Comparator.comparingLong(IdempotencyEntry::expiresAtMillis));

    QueueState(Condition ready) {
      this.ready = ready;
    }

    ArrayDeque<Job> lane(String priority) {
      return lanes.computeIfAbsent(priority, ignored -> new ArrayDeque<>());
    }

    /** Puts a dead job back at the tail of its lane with a fresh attempt count. */
    void requeue(Job job) {
      lane(job.priority()).addLast(job.withAttempt(0));
      ready.signalAll();
    }

    void promoteDue(long now) {
      while (!delayed.isEmpty() && delayed.peek().runAtMillis <= now) {
        Job job = delayed.poll().job;
        lane(job.priority()).addLast(job);
      }
    }

    long millisUntilNextDue(long now) {
      return delayed.isEmpty() ? Long.MAX_VALUE / 2 : Math.max(1, delayed.peek().runAtMillis - now);
    }

    void trimCompleted(long now) {
      while (completed.size() > completedHistorySize
          || (!completed.isEmpty() && completed.peekFirst().atMillis <= now - completedHistoryAgeMillis)) {
        completed.pollFirst();
      }
    }

    void trimDead(long now) {
      while (dead.size() > deadLetterLimit
          || (!dead.isEmpty() && dead.peekFirst().atMillis() <= now - deadLetterAgeMillis)) {
        releaseKey(dead.pollFirst().letter().job(), now);
      }
    }

    /**
     * Returns the id of the job that already holds {@code key}, or claims it for {@code jobId}
     * until that job has left the queue and {@code ttlMillis} more have passed.
     */
    String claimIdempotencyKey(String key, String jobId, long now, long ttlMillis) {
      // Dead letters past their age release their keys before the claim, as they do in Redis.
      trimDead(now);
      while (!idempotencyExpiries.isEmpty() && idempotencyExpiries.peek().expiresAtMillis() <= now) {
        IdempotencyEntry expired = idempotencyExpiries.poll();
        idempotencyKeys.remove(expired.key(), expired);
      }
      IdempotencyEntry existing = idempotencyKeys.get(key);
      if (existing != null) {
        return existing.jobId();
      }
      idempotencyKeys.put(key, new IdempotencyEntry(key, jobId, ttlMillis, IdempotencyEntry.HELD));
      return null;
    }

    /** The job (null for an undecodable one) has left the queue: its key expires a TTL from now. */
    void releaseKey(Job job, long now) {
      IdempotencyEntry held = job == null || job.idempotencyKey() == null ? null
          : idempotencyKeys.get(job.idempotencyKey());
      if (held != null && held.jobId().equals(job.id()) && held.expiresAtMillis() == IdempotencyEntry.HELD) {
        IdempotencyEntry released = new IdempotencyEntry(held.key(), held.jobId(), held.ttlMillis(),
            now + held.ttlMillis());
        idempotencyKeys.put(held.key(), released);
        idempotencyExpiries.add(released);
      }
    }
  }

  /** Builds an {@link InMemoryQueueBackend}; {@link #build()} validates. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private int completedHistorySize = DEFAULT_COMPLETED_HISTORY_SIZE;
    private Duration completedHistoryAge = DEFAULT_COMPLETED_HISTORY_AGE;
    private int deadLetterLimit = DEFAULT_DEAD_LETTER_LIMIT;
    private Duration deadLetterAge = DEFAULT_DEAD_LETTER_AGE;

    private Builder() {}

    /** Clock for leases, delays and history; default the UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Most completed jobs remembered per queue; default 1,000; 0 keeps none. */
    public Builder completedHistorySize(int completedHistorySize) {
      this.completedHistorySize = completedHistorySize;
      return this;
    }

    /** Longest a completed job is remembered, at most 3650 days; default 1 hour. */
    public Builder completedHistoryAge(Duration completedHistoryAge) {
      this.completedHistoryAge = completedHistoryAge;
      return this;
    }

    /**
     * Most dead letters kept per queue: when a job is dead-lettered past it, the oldest are
     * deleted. 0 keeps none. Default {@value InMemoryQueueBackend#DEFAULT_DEAD_LETTER_LIMIT}, no
     * limit in effect.
     */
    public Builder deadLetterLimit(int deadLetterLimit) {
      this.deadLetterLimit = deadLetterLimit;
      return this;
    }

    /**
     * Longest a dead letter is kept, counted from when its job was dead-lettered, at most 3650
     * days; default 3650 days, no limit in effect.
     */
    public Builder deadLetterAge(Duration deadLetterAge) {
      this.deadLetterAge = deadLetterAge;
      return this;
    }

    /** @throws dev.workqueue.InvalidConfigurationException naming every invalid argument */
    public InMemoryQueueBackend build() {
      new Problems("in-memory backend")
          .notNull(clock, "clock")
          .atLeast(completedHistorySize, 0, "completedHistorySize")
          // Kept in milliseconds: an unbounded age overflowed here.
          .positiveUpTo(completedHistoryAge, Problems.LONGEST_RETENTION, "completedHistoryAge")
          .atLeast(deadLetterLimit, 0, "deadLetterLimit")
          .positiveUpTo(deadLetterAge, Problems.LONGEST_RETENTION, "deadLetterAge")
          .throwIfAny();
      return new InMemoryQueueBackend(this);
    }
  }
}
