package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.QueueStats;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.Settlement;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Random sequences of enqueues, strict-priority fetches and settlements give the same jobs, in the
 * same order, with the same attempts and the same counts on Redis as on the in-memory reference
 * backend.
 */
class InMemoryEquivalenceIT {
  private static final List<String> LANES = List.of("high", "mid", "low");
  private static final List<List<String>> ORDERS = List.of(
      List.of("high", "mid", "low"), List.of("high", "low", "mid"), List.of("mid", "high", "low"),
      List.of("mid", "low", "high"), List.of("low", "high", "mid"), List.of("low", "mid", "high"));
  private static final Duration LEASE = Duration.ofMinutes(10);
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @Test
  void redisBehavesLikeTheInMemoryBackend() {
    qt().withExamples(60).forAll(lists().of(integers().between(0, 9_999)).ofSizeBetween(1, 40))
        .checkAssert(operations -> {
          try (RedisQueueBackend redisBackend = RedisQueueBackend.builder().url(redis.url())
                  .namespace("model-" + UUID.randomUUID().toString().substring(0, 8)).build();
              InMemoryQueueBackend reference = InMemoryQueueBackend.create()) {
            Run onRedis = new Run(redisBackend);
            Run inMemory = new Run(reference);
            for (int operation : operations) {
              assertThat(onRedis.apply(operation)).as("operation %d", operation).isEqualTo(inMemory.apply(operation));
            }
            assertThat(onRedis.snapshot()).isEqualTo(inMemory.snapshot());
          }
        });
  }

  /** One backend driven by the operation codes, remembering the leases it holds. */
  private static final class Run {
    private final QueueBackend backend;
    private final List<LeasedJob> held = new ArrayList<>();
    private int nextId;

    Run(QueueBackend backend) {
      this.backend = backend;
    }

    /** Applies one operation and returns what it observably did. */
    Object apply(int code) {
      int kind = code % 5;
      int argument = code / 5;
      switch (kind) {
        case 0 -> {
          List<Job> jobs = new ArrayList<>();
          Instant now = Instant.now();
          for (int i = 0; i <= argument % 4; i++) {
            jobs.add(new Job("j" + nextId++, "q", LANES.get((argument / 4 + i) % 3), new byte[] {(byte) i},
                0, 0, now, now, Map.of(), null));
          }
          return backend.enqueue(jobs, Duration.ofHours(1));
        }
        case 1 -> {
          List<LeasedJob> taken = fetch(1 + argument % 5, ORDERS.get((argument / 5) % ORDERS.size()));
          held.addAll(taken);
          return taken.stream().map(leased -> leased.job().id() + "@" + leased.job().attempt()).toList();
        }
        default -> {
          if (held.isEmpty()) {
            return "nothing held";
          }
          LeasedJob leased = held.remove(argument % held.size());
          Settlement settlement = switch (kind) {
            case 2 -> new Settlement.Ack(leased.lease());
            case 3 -> new Settlement.Release(leased.lease());
            default -> new Settlement.DeadLetter(leased.lease(), new JobError("x", "y", Instant.EPOCH));
          };
          return backend.settle(List.of(settlement));
        }
      }
    }

    private List<LeasedJob> fetch(int maxJobs, List<String> order) {
      try {
        return backend.fetch(new FetchRequest("c", "q", order, maxJobs, LEASE, Duration.ZERO)).jobs();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    /** Counts and the contents of every lane and of the dead-letter queue. */
    List<Object> snapshot() {
      QueueStats stats = backend.stats("q");
      List<Object> state = new ArrayList<>(List.of(stats.inFlight(), stats.delayed(), stats.dead(), stats.completed()));
      Function<Job, String> idAndAttempt = job -> job.id() + "@" + job.attempt();
      for (String lane : LANES) {
        state.add(stats.waiting().getOrDefault(lane, 0L));
        state.add(backend.peek("q", lane, 1_000).stream().map(idAndAttempt).toList());
      }
      state.add(backend.peekDead("q", 1_000).stream().map(letter -> idAndAttempt.apply(letter.job())).toList());
      return state;
    }
  }
}
