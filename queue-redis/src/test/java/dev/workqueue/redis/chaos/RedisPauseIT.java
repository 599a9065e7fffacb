package dev.workqueue.redis.chaos;

import dev.workqueue.redis.RedisQueueBackend;
import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RequiresRedisServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Redis is frozen with SIGSTOP for longer than the socket timeout and the lease duration, then
 * resumed: connections stay open but nothing answers, so every call times out, leases expire
 * while their consumer cannot extend them, and the producer's enqueues fail. No job may be lost.
 */
@RequiresRedisServer
class RedisPauseIT {
  @Test
  void noJobIsLostWhenRedisIsFrozenMidRun() throws Exception {
    try (RedisServer redis = RedisServer.builder().start();
        RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("pause")
            .connectTimeout(Duration.ofMillis(500)).socketTimeout(Duration.ofSeconds(1)).build()) {
      FaultedRun.run("pause", "pause-jobs", backend, backend, () -> {
        redis.pause();
        try {
          Thread.sleep(4_000);
        } finally {
          redis.resume();
        }
      });
    }
  }
}
