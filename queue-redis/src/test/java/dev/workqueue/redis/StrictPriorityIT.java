package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Strict priority through the whole stack: producer, Redis, consumer engine. */
class StrictPriorityIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  /** Without prefetch no low job is leased ahead, so the order is exact. */
  @Test
  void singleThreadedConsumerTakesEveryHighJobBeforeAnyFurtherLowJob() {
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("strict").build();
        Producer producer = Producer.builder(backend).defaultQueue("work").build()) {
      List<NewJob> low = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        low.add(NewJob.builder("low-" + i).priority("low").build());
      }
      producer.enqueueAll(low);
      List<NewJob> high = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        high.add(NewJob.builder("high-" + i).priority("high").build());
      }
      try (Consumer consumer = Consumer.builder(backend, job -> {
            order.add(job.priority());
            if (order.size() == 10) {
              // Arrives while the only worker is busy: the next fetch must prefer it.
              producer.enqueueAll(high);
            }
          })
          .queue("work").priorities(List.of("high", "low")).concurrency(1).prefetch(0)
          .fetchWait(Duration.ofMillis(200)).build()) {
        consumer.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> order.size() == 1_100);
      }
    }
    List<String> expected = new ArrayList<>(Collections.nCopies(10, "low"));
    expected.addAll(Collections.nCopies(100, "high"));
    expected.addAll(Collections.nCopies(990, "low"));
    assertThat(order).containsExactlyElementsOf(expected);
  }
}
