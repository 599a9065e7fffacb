package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Job;
import dev.workqueue.redis.internal.QueueKeys;
import dev.workqueue.testkit.redis.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * With {@code waitForReplicas}, an enqueue returns only once a replica has its jobs, and one that
 * no replica acknowledges in time fails as unavailable instead of reporting jobs a failover could
 * lose as stored.
 */
class ReplicaAcknowledgementIT {
  private RedisServer master;
  private RedisServer replica;

  @BeforeEach
  void startPair() {
    master = RedisServer.builder().start();
    replica = RedisServer.builder()
        .options("--replicaof", master.host(), Integer.toString(master.port())).start();
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
        .until(() -> replica.command("INFO", "replication").contains("master_link_status:up"));
  }

  @AfterEach
  void stopPair() {
    replica.resume();
    replica.close();
    master.close();
  }

  @Test
  void anEnqueueReturnsOnceTheReplicaHoldsItsJobsAndFailsWhenNoReplicaAnswers() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(master.url()).namespace("acked")
            .waitForReplicas(1, Duration.ofMillis(300)).build();
        RedisClient onReplica = RedisClient.create(replica.url())) {
      backend.enqueue(jobs("stored", 10), Duration.ofHours(1));
      // No waiting here: WAIT returned, so the replica has applied the script's writes.
      assertThat(onReplica.llen(QueueKeys.of("acked", "q").lane("default"))).isEqualTo(10);

      replica.pause();
      assertThatThrownBy(() -> backend.enqueue(jobs("unacknowledged", 1), Duration.ofHours(1)))
          .isInstanceOf(NotReplicatedException.class)
          .hasMessage("redis enqueue of 1 job(s) to queue q reached 0 of 1 replica(s) within 300ms: the jobs "
              + "are stored on the master, which could lose them if it failed over now; enqueue them again "
              + "(idempotency keys make that safe)");
      assertThat(backend.stats("q").totalWaiting()).isEqualTo(11);

      replica.resume();
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
          .until(() -> backend.enqueue(jobs("after", 1), Duration.ofHours(1)).get(0).created());
    }
  }

  @Test
  void withoutWaitForReplicasAnEnqueueDoesNotWaitForThem() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(master.url()).namespace("unacked")
        .build()) {
      replica.pause();
      assertThat(backend.enqueue(jobs("stored", 1), Duration.ofHours(1)).get(0).created()).isTrue();
    }
  }

  private static List<Job> jobs(String prefix, int count) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      jobs.add(new Job(prefix + "-" + i, "q", "default", prefix.getBytes(StandardCharsets.UTF_8), 0, 0, now,
          now, Map.of(), null));
    }
    return jobs;
  }
}
