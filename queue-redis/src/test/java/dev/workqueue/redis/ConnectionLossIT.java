package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.testkit.redis.RedisServer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis goes away under a running consumer (blocked in an idle fetch) and a producer: calls fail
 * with the transient exception while it is down, and the consumer resumes by itself when it is
 * back, without a restart. The ledger across a restart with persistence is the chaos suite's job.
 */
class ConnectionLossIT {
  private RedisServer redis;

  @BeforeEach
  void startRedis() {
    redis = RedisServer.builder().start();
  }

  @AfterEach
  void stopRedis() {
    redis.close();
  }

  @Test
  void consumerResumesByItselfAfterRedisIsKilledAndRestarted() {
    Set<String> ran = ConcurrentHashMap.newKeySet();
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("loss")
            .connectTimeout(Duration.ofMillis(500)).socketTimeout(Duration.ofSeconds(1)).build();
        Producer producer = Producer.builder(backend).defaultQueue("q").build();
        Consumer consumer = Consumer.builder(backend, job -> ran.add(job.payloadAsString()))
            .queue("q").concurrency(4).fetchWait(Duration.ofSeconds(2)).build()) {
      consumer.start();
      producer.enqueue("before");
      await().atMost(Duration.ofSeconds(20)).until(() -> ran.contains("before"));

      redis.kill();
      assertThatThrownBy(() -> producer.enqueue("while down"))
          .isInstanceOf(BackendUnavailableException.class)
          .hasMessageStartingWith("redis unavailable during enqueue");
      assertThatThrownBy(() -> backend.stats("q")).isInstanceOf(BackendUnavailableException.class);
      redis.startProcess();

      await().atMost(Duration.ofSeconds(30)).ignoreException(BackendUnavailableException.class)
          .until(() -> producer.enqueue("after") != null);
      await().atMost(Duration.ofSeconds(30)).until(() -> ran.contains("after"));
      assertThat(backend.queues()).as("registry rebuilt after the data loss").containsExactly("q");
    }
  }

  @Test
  void requestLargerThanRedisAcceptsIsAPermanentFailureAndTheConnectionRecovers() {
    // Redis answers a bulk string over proto-max-bulk-len (default 512 MB) with a protocol error
    // and closes the connection; retrying the same request can never succeed.
    try (RedisServer small = RedisServer.builder().options("--proto-max-bulk-len", "1mb").start();
        RedisQueueBackend backend = RedisQueueBackend.builder().url(small.url()).namespace("big").build();
        Producer producer = Producer.builder(backend).defaultQueue("q").maxPayloadBytes(4 << 20).build()) {
      assertThatThrownBy(() -> producer.enqueue(NewJob.of(new byte[2 << 20])))
          .isExactlyInstanceOf(QueueException.class)
          .hasMessageContaining("Protocol error");

      producer.enqueue("small");
      assertThat(backend.stats("q").totalWaiting()).isEqualTo(1);
    }
  }
}
