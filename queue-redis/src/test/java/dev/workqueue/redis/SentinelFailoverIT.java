package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.testkit.redis.RedisServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisSentinelClient;

/**
 * A master, a replica and one Sentinel: the backend runs on a caller-owned Sentinel client, the
 * master is killed, Sentinel promotes the replica, and producer and consumer carry on against the
 * new master by themselves.
 */
class SentinelFailoverIT {
  private static final String MASTER_NAME = "workqueue";
  private RedisServer master;
  private RedisServer replica;
  private Path sentinelDirectory;
  private Process sentinel;
  private int sentinelPort;

  @BeforeEach
  void startTopology() throws Exception {
    master = RedisServer.builder().start();
    replica = RedisServer.builder().options("--replicaof", master.host(), Integer.toString(master.port())).start();
    sentinelDirectory = Files.createTempDirectory("workqueue-sentinel-");
    sentinelPort = RedisServer.freePort();
    Files.writeString(sentinelDirectory.resolve("sentinel.conf"), String.join("\n",
        "port " + sentinelPort,
        "bind 127.0.0.1",
        "dir " + sentinelDirectory,
        "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + master.port() + " 1",
        "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
        "sentinel failover-timeout " + MASTER_NAME + " 5000",
        ""));
    sentinel = new ProcessBuilder("redis-server", sentinelDirectory.resolve("sentinel.conf").toString(), "--sentinel")
        .directory(sentinelDirectory.toFile()).redirectErrorStream(true)
        .redirectOutput(sentinelDirectory.resolve("sentinel.log").toFile()).start();
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> currentMasterPort() == master.port());
  }

  @AfterEach
  void stopTopology() throws IOException, InterruptedException {
    if (sentinel != null) {
      sentinel.destroy();
      sentinel.waitFor(20, TimeUnit.SECONDS);
    }
    replica.close();
    master.close();
    try (Stream<Path> files = Files.walk(sentinelDirectory)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  @Test
  void producerAndConsumerCarryOnAfterSentinelPromotesTheReplica() {
    Set<String> ran = ConcurrentHashMap.newKeySet();
    try (RedisSentinelClient client = RedisSentinelClient.builder().masterName(MASTER_NAME)
            .sentinels(Set.of(new HostAndPort("127.0.0.1", sentinelPort))).build();
        RedisQueueBackend backend = RedisQueueBackend.builder().client(client).namespace("sentinel").build();
        Producer producer = Producer.builder(backend).defaultQueue("q").build();
        Consumer consumer = Consumer.builder(backend, job -> ran.add(job.payloadAsString()))
            .queue("q").fetchWait(Duration.ofMillis(500)).build()) {
      consumer.start();
      producer.enqueueAll(jobs("before", 50));
      await().atMost(Duration.ofSeconds(20)).until(() -> ran.size() == 50);

      master.kill();
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> currentMasterPort() == replica.port());
      List<NewJob> after = jobs("after", 50);
      await().atMost(Duration.ofSeconds(60)).until(() -> enqueued(producer, after));

      await().atMost(Duration.ofSeconds(60)).until(() -> ran.size() == 100);
    }
  }

  private static boolean enqueued(Producer producer, List<NewJob> jobs) {
    try {
      return producer.enqueueAll(jobs).size() == jobs.size();
    } catch (QueueException e) {
      // unavailable while Sentinel fails over, or READONLY from a not-yet-promoted node
      return false;
    }
  }

  private int currentMasterPort() {
    try (Jedis jedis = new Jedis("127.0.0.1", sentinelPort)) {
      return Integer.parseInt(jedis.sentinelGetMasterAddrByName(MASTER_NAME).get(1));
    }
  }

  private static List<NewJob> jobs(String prefix, int count) {
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      jobs.add(NewJob.of(prefix + "-" + i));
    }
    return jobs;
  }
}
