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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
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

  /**
   * The ledger under load: a producer enqueues without pause, each job under an idempotency key,
   * with {@code waitForReplicas(1, ...)}, and counts a job as stored only when its enqueue
   * returned; the master is killed mid-run and comes back as a replica of the promoted one. Every
   * job counted must run. Without the replica wait, jobs the old master acknowledged but had not
   * yet replicated could vanish in the failover.
   */
  @Test
  void everyJobAnEnqueueReportedStoredRunsWhenTheMasterDiesMidRun() throws Exception {
    Set<String> ran = ConcurrentHashMap.newKeySet();
    Set<String> stored = ConcurrentHashMap.newKeySet();
    AtomicBoolean producing = new AtomicBoolean(true);
    try (RedisSentinelClient client = RedisSentinelClient.builder().masterName(MASTER_NAME)
            .sentinels(Set.of(new HostAndPort(sentinel.host(), sentinel.port()))).build();
        RedisQueueBackend backend = RedisQueueBackend.builder().client(client).namespace("ledger")
            .waitForReplicas(1, Duration.ofMillis(500)).build();
        Producer producer = Producer.builder(backend).defaultQueue("q").build();
        Consumer consumer = Consumer.builder(backend, job -> ran.add(job.payloadAsString()))
            .queue("q").fetchWait(Duration.ofMillis(500)).leaseDuration(Duration.ofSeconds(3))
            .recoveryInterval(Duration.ofSeconds(1)).build()) {
      consumer.start();
      Thread producerThread = new Thread(() -> {
        for (int batch = 0; producing.get(); ) {
          List<String> names = new ArrayList<>();
          for (int i = 0; i < 10; i++) {
            names.add("batch-" + batch + "-" + i);
          }
          // The payload is the key too, so a batch sent again after a failure stores nothing twice.
          if (enqueued(producer, names.stream().map(name -> NewJob.builder(name).idempotencyKey(name).build())
              .toList())) {
            stored.addAll(names);
            batch++;
          } else {
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
          }
        }
      }, "ledger-producer");
      producerThread.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> stored.size() >= 300);

      master.kill();
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> sentinel.masterPort() == replica.port());
      int atFailover = stored.size();
      // Sentinel makes the old master a replica of the new one once it answers again.
      master.restart();
      await().atMost(Duration.ofSeconds(60)).until(() -> stored.size() >= atFailover + 300);
      producing.set(false);
      producerThread.join(Duration.ofSeconds(30).toMillis());

      await().atMost(Duration.ofSeconds(60)).until(() -> ran.containsAll(stored));
    } finally {
      producing.set(false);
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
