package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.redis.internal.JobCodec;
import dev.workqueue.redis.internal.QueueKeys;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.Settlement;
import dev.workqueue.testkit.QueueBackendContract;
import dev.workqueue.testkit.redis.RedisCluster;
import dev.workqueue.testkit.redis.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The contract suite on a one-node Redis Cluster through a caller-owned cluster client (commands
 * and scripts routed by their keys' slot), plus a check that every key a queue's work creates
 * lives in the queue's one slot.
 */
class RedisClusterContractIT extends QueueBackendContract {
  private static RedisCluster redis;
  private static RedisClusterClient cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    redis = RedisCluster.start(1);
    RedisServer node = redis.nodes().get(0);
    cluster = RedisClusterClient.create(new HostAndPort(node.host(), node.port()));
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
    redis.close();
  }

  @Override
  protected QueueBackend createBackend() {
    return builder().build();
  }

  @Override
  protected QueueBackend createBackend(int deadLetterLimit, Duration deadLetterAge) {
    return builder().deadLetterLimit(deadLetterLimit).deadLetterAge(deadLetterAge).build();
  }

  private static RedisQueueBackend.Builder builder() {
    return RedisQueueBackend.builder().client(cluster)
        .namespace("cluster-" + UUID.randomUUID().toString().substring(0, 8));
  }

  @Test
  void everyKeyOfAQueueLivesInOneSlot() throws InterruptedException {
    RedisQueueBackend redisBackend = (RedisQueueBackend) backend;
    Instant now = Instant.now();
    List<Job> jobs = List.of(
        new Job("h", "orders", "high", new byte[] {1}, 0, 0, now, now, Map.of(), "key-1"),
        new Job("l", "orders", "low", new byte[] {2}, 0, 0, now, now, Map.of(), null),
        new Job("d", "orders", "low", new byte[] {3}, 0, 0, now, now.plusSeconds(3_600), Map.of(), null),
        new Job("r", "orders", "low", new byte[] {4}, 0, 0, now, now, Map.of(), null));
    backend.enqueue(jobs, Duration.ofHours(1));
    List<LeasedJob> leased = backend.fetch(new FetchRequest("c", "orders", List.of("high", "low"), 3,
        Duration.ofMinutes(5), Duration.ZERO)).jobs();
    backend.heartbeat("c", "orders", List.of(leased.get(2).lease()), Duration.ofMinutes(5), Duration.ofSeconds(30));
    backend.settle(List.of(new Settlement.Ack(leased.get(0).lease()),
        new Settlement.DeadLetter(leased.get(1).lease(), new JobError("x", "y", now)),
        new Settlement.Retry(leased.get(2).lease(), Duration.ofHours(1), new JobError("x", "y", now))));

    Set<Integer> slots = new HashSet<>();
    Set<byte[]> keys = cluster.keys((redisBackend.namespace() + ":v1:{orders}*").getBytes(StandardCharsets.UTF_8));
    keys.forEach(key -> slots.add(JedisClusterCRC16.getSlot(key)));

    assertThat(keys).hasSizeGreaterThanOrEqualTo(8);
    assertThat(slots).containsExactly(JedisClusterCRC16.getSlot("orders"));
  }

  @Override
  protected boolean storeUndecodable(QueueBackend backend, String queue, String priority, String id) {
    Instant now = Instant.now();
    byte[] whole = JobCodec.encode(new Job(id, queue, priority, "payload".getBytes(StandardCharsets.UTF_8),
        0, 0, now, now, Map.of(), null));
    String namespace = ((RedisQueueBackend) backend).namespace();
    cluster.rpush(QueueKeys.of(namespace, queue).lane(priority), Arrays.copyOf(whole, whole.length - 3));
    return true;
  }
}
