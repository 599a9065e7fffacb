package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.EnqueueResult;
import dev.workqueue.InvalidJobException;
import dev.workqueue.Job;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * UTF-8 has no form for half a surrogate pair (such as a string cut between the two halves of an
 * emoji); Java writes '?' for it. For an id or an idempotency key, which name a job, that turns
 * two different values into one.
 */
class UnpairedSurrogateIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  private static RedisQueueBackend backend() {
    return RedisQueueBackend.builder().url(redis.url())
        .namespace("surrogate-" + UUID.randomUUID().toString().substring(0, 8)).build();
  }

  @Test
  void anIdempotencyKeyWithHalfASurrogatePairIsRefusedInsteadOfMatchingAnotherKey() {
    try (RedisQueueBackend backend = backend()) {
      List<EnqueueResult> first = backend.enqueue(List.of(job("first", "order-?")), Duration.ofHours(1));
      assertThat(first).extracting(EnqueueResult::created).containsExactly(true);

      assertThatThrownBy(() -> backend.enqueue(List.of(job("second", "order-\uD83D")), Duration.ofHours(1)))
          .isInstanceOf(InvalidJobException.class)
          .hasMessage("idempotencyKey must not hold half a surrogate pair, but has one at index 6");
      assertThat(backend.stats("q").totalWaiting()).isEqualTo(1);
    }
  }

  @Test
  void anIdWithHalfASurrogatePairIsRefusedInsteadOfStoredAsAnotherId() {
    try (RedisQueueBackend backend = backend()) {
      assertThatThrownBy(() -> backend.enqueue(List.of(job("id-\uDE00", null)), Duration.ofHours(1)))
          .isInstanceOf(InvalidJobException.class)
          .hasMessage("id must not hold half a surrogate pair, but has one at index 3");
      assertThat(backend.stats("q").totalWaiting()).isZero();
    }
  }

  private static Job job(String id, String idempotencyKey) {
    Instant now = Instant.now();
    return new Job(id, "q", "default", new byte[0], 0, 0, now, now, Map.of(), idempotencyKey);
  }
}
