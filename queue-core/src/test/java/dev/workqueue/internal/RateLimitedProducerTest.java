package dev.workqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.memory.InMemoryQueueBackend;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateLimitedProducerTest {

  @Test
  void producerTakesOnePermitPerJobSoEnqueuesFollowTheCap() {
    ManualTicker ticker = new ManualTicker(0);
    LocalRateLimiter limiter = new LocalRateLimiter(new RateLimiterConfig(50, 2, 0), ticker);
    InMemoryQueueBackend backend = InMemoryQueueBackend.create();
    Producer producer = Producer.builder(backend).rateLimiter(limiter).build();

    for (int i = 0; i < 10; i++) {
      producer.enqueue(NewJob.of("job-" + i));
    }
    assertThat(ticker.elapsed()).isEqualTo(Duration.ofMillis(20).multipliedBy(10 - 2));

    producer.enqueueAll(List.of(NewJob.of("a"), NewJob.of("b"), NewJob.of("c")));
    assertThat(ticker.elapsed()).isEqualTo(Duration.ofMillis(20).multipliedBy(13 - 2));
    assertThat(backend.stats(Producer.DEFAULT_QUEUE).totalWaiting()).isEqualTo(13);
  }
}
