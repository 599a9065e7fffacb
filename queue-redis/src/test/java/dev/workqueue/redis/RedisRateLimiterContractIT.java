package dev.workqueue.redis;

import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.testkit.RateLimiterContract;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** The Redis limiter passes the rate limiter contract, its limiters alternating over two connections. */
class RedisRateLimiterContractIT extends RateLimiterContract {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();
  private static final List<RedisClient> connections = new ArrayList<>();

  @BeforeAll
  static void connect() {
    connections.add(RedisClient.create(redis.url()));
    connections.add(RedisClient.create(redis.url()));
  }

  @AfterAll
  static void disconnect() {
    connections.forEach(RedisClient::close);
    connections.clear();
  }

  @Override
  protected List<RateLimiter> limitersSharingOneCap(RateLimiterConfig config, int count) {
    String name = uniqueName();
    List<RateLimiter> limiters = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      limiters.add(RedisRateLimiter.builder(connections.get(i % connections.size()), name, config).build());
    }
    return limiters;
  }
}
