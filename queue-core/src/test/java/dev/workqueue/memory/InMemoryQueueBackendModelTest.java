package dev.workqueue.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.workqueue.DeadLetter;
import dev.workqueue.EnqueueResult;
import dev.workqueue.InvalidJobException;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.MutableClock;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueStats;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.Lease;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Drives a producer and the in-memory backend through random sequences of operations and checks
 * every answer, count and listing against a model that is a few lists: jobs are never lost or
 * duplicated, strict priority holds, delayed jobs are not served early, stale leases change
 * nothing.
 */
class InMemoryQueueBackendModelTest {
  private static final String QUEUE = "model";
  private static final List<String> LANES = List.of("high", "low");
  private static final List<List<String>> ORDERS =
      List.of(List.of("high", "low"), List.of("low", "high"), List.of("high"), List.of("low"));
  private static final Duration LEASE = Duration.ofSeconds(2);
  private static final Duration KEY_TTL = Duration.ofSeconds(5);
  private static final Duration HISTORY_AGE = Duration.ofSeconds(60);
  /** Header that tells apart jobs the producer may give the same id. */
  private static final String UID = "uid";

  enum Kind { ENQUEUE, FETCH, SETTLE, HEARTBEAT, ADVANCE, RECOVER, REQUEUE_DEAD, PURGE_DEAD }

  /** One operation; {@code seed} draws its arguments, so a failing sequence can be replayed. */
  record Step(Kind kind, long seed) {}

  private static Gen<List<Step>> steps() {
    // Repeated kinds weight the draw towards the operations that move jobs.
    Gen<Kind> kinds = Generate.pick(List.of(Kind.ENQUEUE, Kind.ENQUEUE, Kind.ENQUEUE, Kind.FETCH,
        Kind.FETCH, Kind.SETTLE, Kind.SETTLE, Kind.SETTLE, Kind.HEARTBEAT, Kind.ADVANCE, Kind.ADVANCE,
        Kind.RECOVER, Kind.REQUEUE_DEAD, Kind.PURGE_DEAD));
    return lists().of(kinds.zip(longs().all(), Step::new)).ofSizeBetween(1, 60);
  }

  @Test
  void backendAgreesWithTheModelOverRandomOperations() {
    qt().withExamples(400).forAll(integers().between(0, 3), steps())
        .checkAssert((historySize, steps) -> {
          try (Run run = new Run(historySize == 3 ? 1_000 : historySize)) {
            for (Step step : steps) {
              run.play(step);
              run.check();
            }
          }
        });
  }

  /** A job as the model knows it. */
  record Model(String id, String uid, String priority, int attempt) {
    Model withAttempt(int newAttempt) {
      return new Model(id, uid, priority, newAttempt);
    }

    static Model of(Job job) {
      return new Model(job.id(), job.headers().get(UID), job.priority(), job.attempt());
    }
  }

  record Delayed(long runAt, long sequence, Model job) {}

  static final class Held {
    final Model job;
    long deadline;

    Held(Model job, long deadline) {
      this.job = job;
      this.deadline = deadline;
    }
  }

  /** An idempotency key: held by its job while that is in the queue, then known until expiresAt. */
  record Key(String jobId, long expiresAt) {
    static final long HELD = Long.MAX_VALUE;
  }

  /** The backend under test and the model side by side. */
  static final class Run implements AutoCloseable {
    final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
    final InMemoryQueueBackend backend;
    final Producer producer;
    final int historySize;

    final Map<String, ArrayDeque<Model>> lanes = new TreeMap<>();
    final List<Delayed> delayed = new ArrayList<>();
    final LinkedHashMap<String, Held> leases = new LinkedHashMap<>();
    final List<Model> dead = new ArrayList<>();
    final ArrayDeque<Long> completed = new ArrayDeque<>();
    final Map<String, Long> consumers = new HashMap<>();
    final Map<String, Key> keys = new HashMap<>();
    /** The idempotency key each keyed job was enqueued with. */
    final Map<String, String> keyOfUid = new HashMap<>();
    /** Every lease ever handed out, so settlements and heartbeats can also name stale ones. */
    final List<Lease> issued = new ArrayList<>();
    final Set<String> created = new HashSet<>();
    final Set<String> gone = new HashSet<>();
    long sequence;
    int uids;
    boolean enqueued;

    Run(int historySize) {
      this.historySize = historySize;
      this.backend = InMemoryQueueBackend.builder().clock(clock).completedHistorySize(historySize)
          .completedHistoryAge(HISTORY_AGE).build();
      this.producer = Producer.builder(backend).defaultQueue(QUEUE).clock(clock).idempotencyTtl(KEY_TTL)
          .build();
      LANES.forEach(lane -> lanes.put(lane, new ArrayDeque<>()));
    }

    long now() {
      return clock.millis();
    }

    void play(Step step) {
      Random random = new Random(step.seed());
      switch (step.kind()) {
        case ENQUEUE -> enqueue(random);
        case FETCH -> fetch(random);
        case SETTLE -> settle(random);
        case HEARTBEAT -> heartbeat(random);
        case ADVANCE -> clock.advance(Duration.ofMillis(1 + random.nextInt(3_000)));
        case RECOVER -> recover(random);
        case REQUEUE_DEAD -> requeueDead(random);
        case PURGE_DEAD -> {
          assertThat(backend.purgeDead(QUEUE)).isEqualTo(dead.size());
          dead.forEach(this::leave);
          dead.clear();
        }
        default -> throw new AssertionError(step);
      }
    }

    void enqueue(Random random) {
      List<NewJob> batch = new ArrayList<>();
      Set<String> ids = new HashSet<>();
      boolean duplicateId = false;
      for (int i = random.nextInt(3); i >= 0; i--) {
        String uid = "u" + uids++;
        NewJob.Builder job = NewJob.builder(uid).priority(LANES.get(random.nextInt(2))).header(UID, uid);
        if (random.nextInt(3) == 0) {
          job.delay(Duration.ofMillis(1 + random.nextInt(4_000)));
        }
        if (random.nextInt(3) == 0) {
          job.idempotencyKey("key" + random.nextInt(3));
        }
        if (random.nextInt(3) == 0) {
          String id = "given" + random.nextInt(2);
          duplicateId |= !ids.add(id);
          job.id(id);
        }
        batch.add(job.build());
      }
      if (duplicateId) {
        // The producer refuses the whole call; nothing of it may be stored.
        assertThatThrownBy(() -> producer.enqueueAll(batch)).isInstanceOf(InvalidJobException.class);
        return;
      }
      List<EnqueueResult> results = producer.enqueueAll(batch);
      assertThat(results).hasSize(batch.size());
      enqueued = true;
      for (int i = 0; i < batch.size(); i++) {
        NewJob request = batch.get(i);
        EnqueueResult result = results.get(i);
        // A given id without a key of its own is the job's key.
        String key = request.idempotencyKey() != null ? request.idempotencyKey()
            : request.id() != null ? NewJob.ID_KEY_PREFIX + request.id() : null;
        Key known = key == null ? null : keys.get(key);
        if (known != null && known.expiresAt() > now()) {
          assertThat(result).isEqualTo(new EnqueueResult(known.jobId(), false));
          continue;
        }
        assertThat(result.created()).as("created %s", result).isTrue();
        if (request.id() != null) {
          assertThat(result.jobId()).isEqualTo(request.id());
        }
        if (key != null) {
          keys.put(key, new Key(result.jobId(), Key.HELD));
          keyOfUid.put(request.headers().get(UID), key);
        }
        Model job = new Model(result.jobId(), request.headers().get(UID), request.priority(), 0);
        created.add(job.uid());
        if (request.delay() != null) {
          delayed.add(new Delayed(now() + request.delay().toMillis(), sequence++, job));
        } else {
          lanes.get(job.priority()).addLast(job);
        }
      }
    }

    void fetch(Random random) {
      List<String> order = ORDERS.get(random.nextInt(ORDERS.size()));
      int maxJobs = 1 + random.nextInt(4);
      List<LeasedJob> fetched;
      try {
        fetched = backend.fetch(new FetchRequest("c" + random.nextInt(2), QUEUE, order, maxJobs, LEASE,
            Duration.ZERO)).jobs();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      delayed.sort(Comparator.comparingLong(Delayed::runAt).thenComparingLong(Delayed::sequence));
      for (Iterator<Delayed> due = delayed.iterator(); due.hasNext(); ) {
        Delayed next = due.next();
        if (next.runAt() > now()) {
          break;
        }
        due.remove();
        lanes.get(next.job().priority()).addLast(next.job());
      }
      List<Model> expected = new ArrayList<>();
      for (String lane : order) {
        while (expected.size() < maxJobs && !lanes.get(lane).isEmpty()) {
          Model job = lanes.get(lane).pollFirst();
          expected.add(job.withAttempt(job.attempt() + 1));
        }
      }
      assertThat(fetched.stream().map(leased -> Model.of(leased.job())).toList())
          .as("fetch %s of at most %d", order, maxJobs)
          .containsExactlyElementsOf(expected);
      for (int i = 0; i < fetched.size(); i++) {
        LeasedJob leased = fetched.get(i);
        Job job = leased.job();
        assertThat(job.runAt().toEpochMilli()).as("run time of %s", job).isLessThanOrEqualTo(now());
        assertThat(leased.lease().deadline()).isEqualTo(clock.instant().plus(LEASE));
        issued.add(leased.lease());
        leases.put(leased.lease().token(), new Held(Model.of(job), now() + LEASE.toMillis()));
      }
    }

    Lease pickLease(Random random) {
      if (!leases.isEmpty() && random.nextInt(5) > 0) {
        String token = new ArrayList<>(leases.keySet()).get(random.nextInt(leases.size()));
        return issued.stream().filter(lease -> lease.token().equals(token)).findFirst().orElseThrow();
      }
      return issued.isEmpty() ? null : issued.get(random.nextInt(issued.size()));
    }

    void settle(Random random) {
      List<Settlement> batch = new ArrayList<>();
      for (int i = random.nextInt(3); i >= 0; i--) {
        Lease lease = pickLease(random);
        if (lease == null) {
          return;
        }
        JobError error = new JobError("boom", "failed", clock.instant());
        batch.add(switch (random.nextInt(4)) {
          case 0 -> new Settlement.Ack(lease);
          case 1 -> new Settlement.Retry(lease, Duration.ofMillis(random.nextInt(3_000)), error);
          case 2 -> new Settlement.DeadLetter(lease, error);
          default -> new Settlement.Release(lease);
        });
      }
      List<Boolean> accepted = backend.settle(batch);
      List<Boolean> expected = new ArrayList<>();
      List<Model> released = new ArrayList<>();
      for (Settlement settlement : batch) {
        Held held = leases.remove(settlement.lease().token());
        expected.add(held != null);
        if (held == null) {
          continue;
        }
        Model job = held.job;
        if (settlement instanceof Settlement.Ack) {
          completed.addLast(now());
          trimCompleted();
          leave(job);
        } else if (settlement instanceof Settlement.Retry retry) {
          delayed.add(new Delayed(now() + retry.delay().toMillis(), sequence++, job));
        } else if (settlement instanceof Settlement.DeadLetter) {
          dead.add(job);
        } else {
          released.add(job.withAttempt(job.attempt() - 1));
        }
      }
      // Released jobs go back to the heads of their lanes in the batch's order, as on Redis.
      for (int i = released.size() - 1; i >= 0; i--) {
        lanes.get(released.get(i).priority()).addFirst(released.get(i));
      }
      assertThat(accepted).as("settle %s", batch).isEqualTo(expected);
    }

    void heartbeat(Random random) {
      List<Lease> sent = new ArrayList<>();
      for (Lease lease : issued) {
        if (random.nextBoolean()) {
          sent.add(lease);
        }
      }
      String consumer = "c" + random.nextInt(2);
      Duration ttl = Duration.ofMillis(random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(4_000));
      Set<String> kept = backend.heartbeat(consumer, QUEUE, sent, LEASE, ttl);
      consumers.put(consumer, now() + ttl.toMillis());
      Set<String> expected = new HashSet<>();
      for (Lease lease : sent) {
        Held held = leases.get(lease.token());
        if (held != null) {
          held.deadline = now() + LEASE.toMillis();
          expected.add(lease.jobId());
        }
      }
      assertThat(kept).isEqualTo(expected);
    }

    void recover(Random random) {
      int limit = 1 + random.nextInt(3);
      List<Job> recovered = backend.recoverExpired(QUEUE, limit);
      List<Model> expected = new ArrayList<>();
      for (Iterator<Held> held = leases.values().iterator(); held.hasNext() && expected.size() < limit; ) {
        Held next = held.next();
        if (next.deadline <= now()) {
          held.remove();
          lanes.get(next.job.priority()).addFirst(next.job);
          expected.add(next.job);
        }
      }
      assertThat(recovered.stream().map(Model::of).toList()).containsExactlyElementsOf(expected);
    }

    void requeueDead(Random random) {
      int limit = 1 + random.nextInt(3);
      long moved = backend.requeueDead(QUEUE, limit);
      int expected = Math.min(limit, dead.size());
      assertThat(moved).isEqualTo(expected);
      for (int i = 0; i < expected; i++) {
        Model job = dead.remove(0);
        lanes.get(job.priority()).addLast(job.withAttempt(0));
      }
    }

    /** The job left the queue: the key it holds stays known for the TTL from now. */
    void leave(Model job) {
      gone.add(job.uid());
      String key = keyOfUid.get(job.uid());
      Key held = key == null ? null : keys.get(key);
      if (held != null && held.jobId().equals(job.id()) && held.expiresAt() == Key.HELD) {
        keys.put(key, new Key(job.id(), now() + KEY_TTL.toMillis()));
      }
    }

    void trimCompleted() {
      while (completed.size() > historySize
          || !completed.isEmpty() && completed.peekFirst() <= now() - HISTORY_AGE.toMillis()) {
        completed.pollFirst();
      }
    }

    /** Compares every count and listing of the backend with the model. */
    void check() {
      trimCompleted();
      consumers.values().removeIf(expiry -> expiry <= now());
      QueueStats stats = backend.stats(QUEUE);
      Map<String, Long> waiting = new TreeMap<>();
      stats.waiting().forEach((lane, count) -> {
        if (count > 0) {
          waiting.put(lane, count);
        }
      });
      Map<String, Long> expectedWaiting = new TreeMap<>();
      lanes.forEach((lane, jobs) -> {
        if (!jobs.isEmpty()) {
          expectedWaiting.put(lane, (long) jobs.size());
        }
      });
      assertThat(waiting).as("waiting").isEqualTo(expectedWaiting);
      assertThat(stats.inFlight()).as("in flight").isEqualTo(leases.size());
      assertThat(stats.delayed()).as("delayed").isEqualTo(delayed.size());
      assertThat(stats.dead()).as("dead").isEqualTo(dead.size());
      assertThat(stats.completed()).as("completed").isEqualTo(completed.size());
      assertThat(stats.consumers()).as("consumers").isEqualTo(consumers.size());
      for (String lane : LANES) {
        assertThat(backend.peek(QUEUE, lane, 1_000).stream().map(Model::of).toList()).as("lane %s", lane)
            .containsExactlyElementsOf(lanes.get(lane));
      }
      assertThat(backend.peekDelayed(QUEUE, 1_000).stream().map(Model::of).toList()).as("delayed")
          .containsExactlyElementsOf(delayed.stream()
              .sorted(Comparator.comparingLong(Delayed::runAt).thenComparingLong(Delayed::sequence))
              .map(Delayed::job).toList());
      assertThat(backend.peekDead(QUEUE, 1_000).stream().map(DeadLetter::job).map(Model::of).toList())
          .as("dead").containsExactlyElementsOf(dead);
      assertThat(backend.queues()).isEqualTo(enqueued ? List.of(QUEUE) : List.of());
      checkEveryJobIsInOnePlace();
    }

    /** The model's own invariant: each created job is in exactly one place, or gone. */
    void checkEveryJobIsInOnePlace() {
      List<String> places = new ArrayList<>();
      lanes.values().forEach(lane -> lane.forEach(job -> places.add(job.uid())));
      delayed.forEach(job -> places.add(job.job().uid()));
      leases.values().forEach(held -> places.add(held.job.uid()));
      dead.forEach(job -> places.add(job.uid()));
      places.addAll(gone);
      assertThat(places).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(created);
    }

    @Override
    public void close() {
      producer.close();
      backend.close();
    }
  }
}
