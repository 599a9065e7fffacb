package dev.workqueue.redis.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.redis.RedisQueueBackend;
import dev.workqueue.testkit.redis.FaultInjectingProxy;
import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RequiresRedisServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Producer and consumer reach Redis through a proxy that first adds latency to every packet and
 * then resets every connection several times, as a flaky network or a restarting load balancer
 * would. No job may be lost; the ledger is read over a direct connection.
 */
@RequiresRedisServer
class NetworkFaultsIT {
  @Test
  void noJobIsLostThroughLatencyAndConnectionResets() throws Exception {
    try (RedisServer redis = RedisServer.builder().start();
        FaultInjectingProxy proxy = FaultInjectingProxy.to(redis.port());
        RedisQueueBackend throughProxy = RedisQueueBackend.builder().url(proxy.redisUrl()).namespace("network")
            .connectTimeout(Duration.ofMillis(500)).socketTimeout(Duration.ofSeconds(1)).build();
        RedisQueueBackend direct = RedisQueueBackend.builder().url(redis.url()).namespace("network").build()) {
      int[] resets = new int[1];
      FaultedRun.run("network", "network-jobs", throughProxy, direct, () -> {
        proxy.delay(Duration.ofMillis(20));
        Thread.sleep(2_000);
        proxy.delay(Duration.ZERO);
        for (int round = 0; round < 5; round++) {
          resets[0] += proxy.resetConnections();
          Thread.sleep(400);
        }
      });
      System.out.printf("network: %d connections reset, %d accepted in all%n", resets[0],
          proxy.connectionsAccepted());
      assertThat(resets[0]).as("connections reset by the proxy").isPositive();
    }
  }
}
