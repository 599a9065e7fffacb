package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Consumer;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An idle consumer blocks on the server instead of polling it. */
class IdleCostIT {
  private static final Pattern CALLS = Pattern.compile("cmdstat_([a-z_|]+):calls=(\\d+)");
  private static final Duration WINDOW = Duration.ofSeconds(6);
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @Test
  void consumerWithSixteenIdleThreadsIssuesAtMostFiftyCommandsPerSecond() throws Exception {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace("idle").build();
        Consumer consumer = Consumer.builder(backend, job -> {}).queue("quiet").concurrency(16).build()) {
      consumer.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> backend.stats("quiet").consumers() == 1);
      long before = commandsSoFar();
      long start = System.nanoTime();
      Thread.sleep(WINDOW.toMillis()); // a measurement window, not a wait for a condition
      long commands = commandsSoFar() - before;
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("idle consumer with 16 workers: %d commands in %.1f s = %.1f/s%n", commands, seconds,
          commands / seconds);

      assertThat(commands / seconds).as("commands per second, %d in %.1f s", commands, seconds)
          .isLessThanOrEqualTo(50);
    }
  }

  /** Every command the server ran, those inside scripts included, except our own INFO calls. */
  private static long commandsSoFar() throws IOException {
    Matcher matcher = CALLS.matcher(redis.server().command("INFO", "commandstats"));
    long total = 0;
    while (matcher.find()) {
      if (!matcher.group(1).equals("info")) {
        total += Long.parseLong(matcher.group(2));
      }
    }
    return total;
  }
}
