package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.InvalidJobException;
import dev.workqueue.Job;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A batch spanning several queues is stored whole or, when one job is invalid, not at all. */
class MixedQueueBatchIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @Test
  void anInvalidJobOfTheSecondQueueStoresNothingOfTheFirst() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("mixed").build()) {
      Instant now = Instant.now();
      Job valid = new Job("valid", "first", "default", new byte[0], 0, 0, now, now, Map.of(), null);
      Job oversizedHeader = new Job("invalid", "second", "default", new byte[0], 0, 0, now, now,
          Map.of("big", "x".repeat(70_000)), null);

      assertThatThrownBy(() -> backend.enqueue(List.of(valid, oversizedHeader), Duration.ofHours(1)))
          .isInstanceOf(InvalidJobException.class)
          .hasMessageContaining("header value must be at most 65534 bytes");

      assertThat(backend.stats("first").pending()).isZero();
      assertThat(backend.stats("second").pending()).isZero();
    }
  }
}
