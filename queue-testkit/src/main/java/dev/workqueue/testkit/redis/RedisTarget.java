package dev.workqueue.testkit.redis;

import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A Redis for tests that only need one server, chosen in this order: the server at
 * {@code REDIS_URL} when that variable is set (shared: tests must isolate themselves by key
 * namespace and never flush it), a {@code redis-server} process started on a free loopback port,
 * or a Testcontainers {@code redis:7} container when a Docker engine exists and no binary does.
 * When none is possible the calling test is skipped.
 */
public final class RedisTarget implements AutoCloseable {
  private final String url;
  private final AutoCloseable owned;

  private RedisTarget(String url, AutoCloseable owned) {
    this.url = url;
    this.owned = owned;
  }

  /**
   * Picks or starts a Redis as described above.
   *
   * @throws org.opentest4j.TestAbortedException (a JUnit skip) when no Redis can be had
   */
  public static RedisTarget start() {
    String external = System.getenv("REDIS_URL");
    if (external != null && !external.isBlank()) {
      return new RedisTarget(external, null);
    }
    if (RedisServer.isAvailable()) {
      RedisServer server = RedisServer.builder().start();
      return new RedisTarget(server.url(), server);
    }
    boolean docker;
    try {
      docker = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      docker = false;
    }
    Assumptions.assumeTrue(docker, "no REDIS_URL, no redis-server binary and no Docker engine");
    GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse("redis:7"))
        .withExposedPorts(6379);
    container.start();
    return new RedisTarget("redis://" + container.getHost() + ":" + container.getMappedPort(6379), container);
  }

  /** The server's URL, {@code redis://host:port}, possibly with credentials. */
  public String url() {
    return url;
  }

  /** Whether the server belongs to this target (and so may be stopped or flushed by its tests). */
  public boolean isOwned() {
    return owned != null;
  }

  /** Stops what this target started; leaves an external server alone. */
  @Override
  public void close() throws Exception {
    if (owned != null) {
      owned.close();
    }
  }
}
