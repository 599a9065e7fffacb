package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.RateLimiterConfig;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Building a backend or a limiter from a URL opens no connection: Jedis's client probes the
 * server's protocol when it is created unless it is told which one to speak, so a host starting
 * while Redis was frozen or unreachable behind a silent firewall hung in {@code build()} for four
 * socket timeouts (9 s with the defaults, measured), and a Redis that was down at that moment left
 * the client to guess the protocol later.
 */
class ConnectOnFirstUseIT {
  private static final Pattern CONNECTIONS = Pattern.compile("total_connections_received:(\\d+)");

  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @Test
  void buildingABackendOrALimiterOpensNoConnectionUntilItIsUsed() throws IOException {
    long before = connectionsReceived();
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("lazy").build();
        RedisRateLimiter limiter =
            RedisRateLimiter.builder(redis.url(), "lazy", RateLimiterConfig.of(10)).build()) {
      // Each look at the counter is a connection of its own.
      assertThat(connectionsReceived()).isEqualTo(before + 1);

      backend.ping();
      assertThat(limiter.tryAcquire(1)).isTrue();
      assertThat(connectionsReceived()).isEqualTo(before + 4);
    }
  }

  private static long connectionsReceived() throws IOException {
    Matcher matcher = CONNECTIONS.matcher(redis.server().command("INFO", "stats"));
    assertThat(matcher.find()).isTrue();
    return Long.parseLong(matcher.group(1));
  }
}
