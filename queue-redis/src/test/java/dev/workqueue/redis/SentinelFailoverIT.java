package dev.workqueue.redis;

import static org.awaitility.Awaitility.await;

import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.testkit.redis.RedisSentinel;
import dev.workqueue.testkit.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
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
  private RedisSentinel sentinel;

  @BeforeEach
  void startTopology() {
    master = RedisServer.builder().start();
    replica = RedisServer.builder().options("--replicaof", master.host(), Integer.toString(master.port())).start();
    sentinel = RedisSentinel.monitor(MASTER_NAME, master);
  }

  @AfterEach
  void stopTopology() {
    sentinel.close();
    replica.close();
    master.close();
  }

  @Test
  void producerAndConsumerCarryOnAfterSentinelPromotesTheReplica() {
    Set<String> ran = ConcurrentHashMap.newKeySet();
    try (RedisSentinelClient client = RedisSentinelClient.builder().masterName(MASTER_NAME)
            .sentinels(Set.of(new HostAndPort(sentinel.host(), sentinel.port()))).build();
        RedisQueueBackend backend = RedisQueueBackend.builder().client(client).namespace("sentinel").build();
        Producer producer = Producer.builder(backend).defaultQueue("q").build();
        Consumer consumer = Consumer.builder(backend, job -> ran.add(job.payloadAsString()))
            .queue("q").fetchWait(Duration.ofMillis(500)).build()) {
      consumer.start();
      producer.enqueueAll(jobs("before", 50));
      await().atMost(Duration.ofSeconds(20)).until(() -> ran.size() == 50);

      master.kill();
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> sentinel.masterPort() == replica.port());
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

  private static List<NewJob> jobs(String prefix, int count) {
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      jobs.add(NewJob.of(prefix + "-" + i));
    }
    return jobs;
  }
}
