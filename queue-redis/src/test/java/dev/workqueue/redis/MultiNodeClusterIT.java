package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Admin;
import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.testkit.redis.RedisCluster;
import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RequiresRedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.util.JedisClusterCRC16;

/** Queues spread over the nodes of a three-master Redis Cluster, each served whole by its node. */
@RequiresRedisServer
class MultiNodeClusterIT {
  private static final int JOBS_PER_QUEUE = 20;

  @Test
  void queuesOnDifferentNodesAreEachProducedConsumedAndCountedOnTheirOwnNode() throws Exception {
    try (RedisCluster redis = RedisCluster.start(3);
        RedisClusterClient client = RedisClusterClient.create(
            new HostAndPort(redis.nodes().get(0).host(), redis.nodes().get(0).port()));
        RedisQueueBackend backend = RedisQueueBackend.builder().client(client).namespace("spread").build()) {
      // One queue per node: the first names whose hash slot falls in each node's range.
      Map<RedisServer, String> queueOfNode = new LinkedHashMap<>();
      for (int i = 0; queueOfNode.size() < redis.nodes().size(); i++) {
        queueOfNode.putIfAbsent(redis.nodeOf(JedisClusterCRC16.getSlot("queue-" + i)), "queue-" + i);
      }
      Producer producer = Producer.builder(backend).build();
      for (String queue : queueOfNode.values()) {
        producer.enqueueAll(IntStream.range(0, JOBS_PER_QUEUE)
            .mapToObj(n -> NewJob.builder("job-" + n).queue(queue).build()).toList());
      }
      Set<String> ran = ConcurrentHashMap.newKeySet();
      List<Consumer> consumers = new ArrayList<>();
      try {
        for (String queue : queueOfNode.values()) {
          Consumer consumer = Consumer.builder(backend,
                  job -> ran.add(job.queue() + "/" + job.payloadAsString()))
              .queue(queue).fetchWait(Duration.ofMillis(100)).build();
          consumers.add(consumer);
          consumer.start();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> ran.size() == 3 * JOBS_PER_QUEUE);
      } finally {
        consumers.forEach(Consumer::close);
      }

      assertThat(Admin.of(backend).queues()).containsAll(queueOfNode.values());
      for (Map.Entry<RedisServer, String> entry : queueOfNode.entrySet()) {
        String queue = entry.getValue();
        assertThat(backend.stats(queue).completed()).as(queue).isEqualTo(JOBS_PER_QUEUE);
        // RedisServer.command answers an array reply with its "*<count>" line.
        String keysOfQueue = "spread:v1:{" + queue + "}:*";
        assertThat(entry.getKey().command("KEYS", keysOfQueue)).as(queue).isNotEqualTo("*0");
        for (RedisServer other : redis.nodes()) {
          if (other != entry.getKey()) {
            assertThat(other.command("KEYS", keysOfQueue)).as(queue).isEqualTo("*0");
          }
        }
      }
    }
  }
}
