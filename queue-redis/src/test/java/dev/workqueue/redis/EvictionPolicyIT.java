package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.Producer;
import dev.workqueue.testkit.redis.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A Redis that may evict keys under memory pressure can lose jobs silently, so the backend warns
 * once it reaches one. The test binding (slf4j-simple) writes to whatever {@code System.err} is.
 */
class EvictionPolicyIT {

  @Test
  void anEvictingPolicyIsWarnedAboutAndNoevictionIsNot() {
    assertThat(warningsEnqueueingInto("allkeys-lru")).contains(
        "Redis maxmemory-policy is allkeys-lru: when memory runs out Redis deletes any key, including "
            + "waiting and leased jobs");
    assertThat(warningsEnqueueingInto("volatile-lru")).contains(
        "Redis maxmemory-policy is volatile-lru: when memory runs out Redis deletes keys with a TTL, "
            + "including the idempotency keys of finished jobs");
    assertThat(warningsEnqueueingInto("noeviction")).doesNotContain("maxmemory-policy");
  }

  private static String warningsEnqueueingInto(String policy) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (RedisServer redis = RedisServer.builder().options("--maxmemory-policy", policy).start();
        RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).build();
        Producer producer = Producer.builder(backend).build()) {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      producer.enqueue("a");
      producer.enqueue("b");
    } finally {
      System.setErr(original);
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    assertThat(output.split("maxmemory-policy is", -1)).as("warned at most once").hasSizeLessThanOrEqualTo(2);
    return output;
  }
}
