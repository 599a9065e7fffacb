package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.QueueStats;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.Lease;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RequiresRedisServer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * While Redis Cluster migrates a queue's slot to another node, the old node still runs a script
 * whose declared keys it holds, but refuses the first key the script reaches that it does not
 * hold (an empty lane, a wake-up list), and the script stops there with its earlier writes kept.
 * Every script must therefore reach such keys before its first write.
 */
@RequiresRedisServer
class SlotMigrationIT {
  private RedisServer source;
  private RedisServer target;
  private RedisQueueBackend backend;
  private String slot;

  @BeforeEach
  void twoNodesWithTheQueuesSlotOnTheFirst() throws Exception {
    source = clusterNode();
    target = clusterNode();
    source.command("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
    source.command("CLUSTER", "MEET", target.host(), Integer.toString(target.port()));
    await().atMost(Duration.ofSeconds(20)).until(() -> source.command("CLUSTER", "INFO")
        .contains("cluster_state:ok") && target.command("CLUSTER", "INFO").contains("cluster_known_nodes:2"));
    slot = source.command("CLUSTER", "KEYSLOT", "q").substring(1).trim();
    backend = RedisQueueBackend.builder().url(source.url()).namespace("migrating").build();
  }

  @AfterEach
  void stop() {
    backend.close();
    target.close();
    source.close();
  }

  @Test
  void aSettleBatchThatReachesAnEmptyLaneOfAMigratingSlotChangesNothing() throws Exception {
    Instant now = Instant.now();
    // Every key settle declares must exist on the source, or Redis refuses the call before it runs.
    backend.enqueue(List.of(job("later", Duration.ofHours(1))), Duration.ofHours(1));
    List<LeasedJob> leased = enqueueAndFetch("acked", "dead", "retried", "released");
    backend.settle(List.of(new Settlement.Ack(leased.get(0).lease()),
        new Settlement.DeadLetter(leased.get(1).lease(), new JobError("x", "y", now))));
    startMigration();

    // The lane of the released job is empty, so its key exists on neither node.
    assertThatThrownBy(() -> backend.settle(List.of(
        new Settlement.Retry(leased.get(2).lease(), Duration.ofHours(1), new JobError("x", "y", now)),
        new Settlement.Release(leased.get(3).lease()))))
        .isInstanceOf(BackendUnavailableException.class);

    stopMigration();
    QueueStats stats = backend.stats("q");
    assertThat(stats.inFlight()).as("both still leased").isEqualTo(2);
    assertThat(stats.delayed()).as("only the job enqueued as delayed").isEqualTo(1);
    assertThat(stats.totalWaiting()).isZero();
  }

  @Test
  void anEnqueueThatReachesAMissingWakeUpListOfAMigratingSlotStoresNothing() throws Exception {
    // The lane exists on the source; its wake-up list was popped by a consumer and exists nowhere.
    backend.enqueue(List.of(job("later", Duration.ofHours(1)), job("waiting", Duration.ZERO)),
        Duration.ofHours(1));
    source.command("DEL", "migrating:v1:{q}:notify:default");
    startMigration();

    assertThatThrownBy(() -> backend.enqueue(List.of(job("new", Duration.ZERO)), Duration.ofHours(1)))
        .isInstanceOf(BackendUnavailableException.class);

    stopMigration();
    assertThat(backend.peek("q", "default", 10)).extracting(Job::id).containsExactly("waiting");
  }

  /** A key claimed for a job the script then failed to store would be held for good. */
  @Test
  void anEnqueueWhoseIdempotencyKeyTheNodeDoesNotHoldClaimsNothing() throws Exception {
    Instant now = Instant.now();
    Job known = new Job("known", "q", "default", new byte[] {1}, 0, 0, now, now, Map.of(), "order-1");
    backend.enqueue(List.of(known, job("waiting", Duration.ZERO)), Duration.ofHours(1));
    startMigration();

    Job duplicate = new Job("duplicate", "q", "default", new byte[] {1}, 0, 0, now, now, Map.of(), "order-1");
    Job fresh = new Job("fresh", "q", "default", new byte[] {1}, 0, 0, now, now, Map.of(), "order-2");
    assertThatThrownBy(() -> backend.enqueue(List.of(duplicate, fresh), Duration.ofHours(1)))
        .isInstanceOf(BackendUnavailableException.class);

    stopMigration();
    assertThat(source.command("EXISTS", "migrating:v1:{q}:idem:order-2")).isEqualTo(":0");
    assertThat(backend.peek("q", "default", 10)).extracting(Job::id).containsExactly("known", "waiting");
  }

  @Test
  void aRecoveryThatReachesAnEmptyLaneOfAMigratingSlotChangesNothing() throws Exception {
    Instant now = Instant.now();
    LeasedJob dead = enqueueAndFetch("dead").get(0);
    backend.settle(List.of(new Settlement.DeadLetter(dead.lease(), new JobError("x", "y", now))));
    backend.enqueue(List.of(job("high", "high", Duration.ZERO), job("waiting", "high", Duration.ZERO),
        job("low", "low", Duration.ZERO)), Duration.ofHours(1));
    // Recovered in this order: "high" goes back to a lane that exists, "low" to one that does not.
    Instant highExpires = expiringLease("high").deadline();
    Instant lowExpires = expiringLease("low").deadline();
    await().atMost(Duration.ofSeconds(20)).until(() -> Instant.now().isAfter(highExpires.plusMillis(1))
        && Instant.now().isAfter(lowExpires.plusMillis(1)));
    startMigration();

    assertThatThrownBy(() -> backend.recoverExpired("q", 10)).isInstanceOf(BackendUnavailableException.class);

    stopMigration();
    QueueStats stats = backend.stats("q");
    assertThat(stats.inFlight()).as("both still leased").isEqualTo(2);
    assertThat(backend.peek("q", "high", 10)).extracting(Job::id).containsExactly("waiting");
  }

  private Lease expiringLease(String priority) throws InterruptedException {
    FetchRequest request =
        new FetchRequest("c", "q", List.of(priority), 1, Duration.ofMillis(1), Duration.ZERO);
    return backend.fetch(request).jobs().get(0).lease();
  }

  private List<LeasedJob> enqueueAndFetch(String... ids) throws InterruptedException {
    backend.enqueue(Arrays.stream(ids).map(id -> job(id, Duration.ZERO)).toList(), Duration.ofHours(1));
    List<LeasedJob> leased = backend.fetch(new FetchRequest("c", "q", List.of("default"), ids.length,
        Duration.ofMinutes(5), Duration.ZERO)).jobs();
    assertThat(leased).extracting(each -> each.job().id()).containsExactly(ids);
    return leased;
  }

  private void startMigration() throws IOException {
    String sourceId = source.command("CLUSTER", "MYID").trim();
    String targetId = target.command("CLUSTER", "MYID").trim();
    assertThat(target.command("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId)).startsWith("+OK");
    assertThat(source.command("CLUSTER", "SETSLOT", slot, "MIGRATING", targetId)).startsWith("+OK");
  }

  private void stopMigration() throws IOException {
    assertThat(source.command("CLUSTER", "SETSLOT", slot, "STABLE")).startsWith("+OK");
    assertThat(target.command("CLUSTER", "SETSLOT", slot, "STABLE")).startsWith("+OK");
  }

  private static RedisServer clusterNode() {
    return RedisServer.builder().options("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
        .start();
  }

  private static Job job(String id, Duration delay) {
    return job(id, "default", delay);
  }

  private static Job job(String id, String priority, Duration delay) {
    Instant now = Instant.now();
    return new Job(id, "q", priority, new byte[] {1}, 0, 0, now, now.plus(delay), Map.of(), null);
  }
}
