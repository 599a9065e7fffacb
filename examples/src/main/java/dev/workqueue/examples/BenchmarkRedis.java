package dev.workqueue.examples;

import dev.workqueue.testkit.redis.RedisServer;

/**
 * The Redis a benchmark measures: the server at {@code REDIS_URL} when that is set, else a
 * {@code redis-server} of its own on a free loopback port, stopped on close.
 */
final class BenchmarkRedis implements AutoCloseable {
  private final RedisServer own;
  private final String url;

  private BenchmarkRedis(RedisServer own, String url) {
    this.own = own;
    this.url = url;
  }

  /** Whether {@link #start} can succeed: {@code REDIS_URL} is set or {@code redis-server} is installed. */
  static boolean available() {
    return external() != null || RedisServer.isAvailable();
  }

  /** Uses {@code REDIS_URL}, or starts a {@code redis-server} with {@code options}. */
  static BenchmarkRedis start(String... options) {
    String external = external();
    if (external != null) {
      return new BenchmarkRedis(null, external);
    }
    RedisServer server = RedisServer.builder().options(options).start();
    return new BenchmarkRedis(server, server.url());
  }

  String url() {
    return url;
  }

  /** Whether this is a server of its own rather than the one at {@code REDIS_URL}. */
  boolean isOwn() {
    return own != null;
  }

  @Override
  public void close() {
    if (own != null) {
      own.close();
    }
  }

  private static String external() {
    String url = System.getenv("REDIS_URL");
    return url == null || url.isBlank() ? null : url;
  }
}
