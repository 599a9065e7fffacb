package dev.workqueue.examples;

import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.redis.RedisRateLimiter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Runs 1 and then N producer threads flat out against one shared limiter, in-process and through
 * Redis, and prints the rate achieved in each second and overall; then the cost of one
 * uncontended {@code tryAcquire}. Redis is the server at {@code REDIS_URL}, or a
 * {@code redis-server} started on a free port; without either the Redis part is skipped.
 *
 * <p>Run:
 * {@code ./mvnw -q -pl examples exec:java -Dexec.mainClass=dev.workqueue.examples.RateLimiterBenchmark
 * [-Dexec.args="RATE BURST SECONDS PRODUCERS"]} (defaults 200 10 10 4). With several producers on
 * Redis, half of them use a second client, as a second process would.
 */
public final class RateLimiterBenchmark {
  private static final long SECOND_NANOS = 1_000_000_000L;

  private RateLimiterBenchmark() {}

  /** Runs the benchmark; arguments: rate, burst, seconds and producers, each optional. */
  public static void main(String[] args) throws InterruptedException {
    double rate = args.length > 0 ? Double.parseDouble(args[0]) : 200;
    int burst = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int producers = args.length > 3 ? Integer.parseInt(args[3]) : 4;
    RateLimiterConfig config = RateLimiterConfig.builder().permitsPerSecond(rate).burst(burst).build();
    System.out.printf("rate limiter benchmark: cap %.0f/s, burst %d, %d s per run%n", rate, burst, seconds);

    for (int threads : List.of(1, producers)) {
      RateLimiter shared = RateLimiter.local(config);
      run("in-process", threads, seconds, rate, producer -> shared);
    }
    RateLimiterConfig unlimitedConfig = RateLimiterConfig.builder()
        .permitsPerSecond(RateLimiterConfig.MAX_PERMITS_PER_SECOND).burst(1_000).build();
    RateLimiter unlimited = RateLimiter.local(unlimitedConfig);
    System.out.printf("in-process tryAcquire, uncontended: %.0f ns per call%n",
        nanosPerTryAcquire(unlimited, 5_000_000));

    if (!BenchmarkRedis.available()) {
      System.out.println("redis: skipped (no REDIS_URL and no redis-server binary)");
      return;
    }
    try (BenchmarkRedis redis = BenchmarkRedis.start();
        UnifiedJedis first = RedisClient.create(redis.url());
        UnifiedJedis second = RedisClient.create(redis.url())) {
      for (int threads : List.of(1, producers)) {
        String name = "bench-" + UUID.randomUUID();
        RateLimiter onFirst = RedisRateLimiter.builder(first, name, config).build();
        RateLimiter onSecond = RedisRateLimiter.builder(second, name, config).build();
        run("redis", threads, seconds, rate, producer -> producer % 2 == 0 ? onFirst : onSecond);
      }
      RateLimiter unlimitedShared =
          RedisRateLimiter.builder(first, "bench-" + UUID.randomUUID(), unlimitedConfig).build();
      System.out.printf("redis tryAcquire, uncontended: %.1f µs per call (one script round trip)%n",
          nanosPerTryAcquire(unlimitedShared, 20_000) / 1_000);
    }
  }

  /** Runs {@code threads} producers calling {@code acquire()} without pause for {@code seconds}. */
  private static void run(String kind, int threads, int seconds, double cap,
      IntFunction<RateLimiter> limiterOf) throws InterruptedException {
    AtomicLong admitted = new AtomicLong();
    long start = System.nanoTime();
    long end = start + seconds * SECOND_NANOS;
    List<Thread> producers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      RateLimiter limiter = limiterOf.apply(i);
      Thread producer = new Thread(() -> {
        try {
          while (System.nanoTime() - end < 0) {
            limiter.acquire();
            if (System.nanoTime() - end < 0) {
              admitted.incrementAndGet();
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "producer-" + i);
      producer.start();
      producers.add(producer);
    }
    StringBuilder perSecond = new StringBuilder();
    long previous = 0;
    for (int second = 1; second <= seconds; second++) {
      long wake = start + second * SECOND_NANOS;
      long remaining;
      while ((remaining = wake - System.nanoTime()) > 0) {
        LockSupport.parkNanos(remaining);
      }
      long now = admitted.get();
      perSecond.append(' ').append(now - previous);
      previous = now;
    }
    for (Thread producer : producers) {
      producer.join();
    }
    double overall = admitted.get() / (double) seconds;
    System.out.printf("%-10s %d producer(s): overall %.1f/s (%+.1f%% of cap); per second:%s%n",
        kind, threads, overall, (overall / cap - 1) * 100, perSecond);
  }

  /** Average cost of a successful {@code tryAcquire(1)} on a limiter that never has to refuse. */
  private static double nanosPerTryAcquire(RateLimiter limiter, int calls) {
    for (int i = 0; i < calls / 10; i++) {
      limiter.tryAcquire(1);
    }
    long start = System.nanoTime();
    int granted = 0;
    for (int i = 0; i < calls; i++) {
      if (limiter.tryAcquire(1)) {
        granted++;
      }
    }
    long elapsed = System.nanoTime() - start;
    if (granted < calls) {
      System.out.printf("  (%d of %d calls refused)%n", calls - granted, calls);
    }
    return elapsed / (double) calls;
  }
}
