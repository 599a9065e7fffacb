package dev.workqueue.testkit.redis;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link RedisServer} for a test class: started before its first test, stopped after its
 * last. The class is skipped when no {@code redis-server} binary is available.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RedisServerExtension redis = new RedisServerExtension();
 * ...
 * RedisQueueBackend.builder().url(redis.url()).namespace("my-test").build();
 * }</pre>
 */
public final class RedisServerExtension implements BeforeAllCallback, AfterAllCallback {
  private final UnaryOperator<RedisServer.Builder> options;
  private RedisServer server;

  /** A server with the fixture's defaults: no persistence, no password, a free port. */
  public RedisServerExtension() {
    this(UnaryOperator.identity());
  }

  /** A server described by {@code options}, for example {@code b -> b.appendOnly(true)}. */
  public RedisServerExtension(UnaryOperator<RedisServer.Builder> options) {
    this.options = options;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    Assumptions.assumeTrue(RedisServer.isAvailable(), RequiresRedisServer.NOT_INSTALLED);
    server = options.apply(RedisServer.builder()).start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  /** The running server. */
  public RedisServer server() {
    if (server == null) {
      throw new IllegalStateException("the Redis server runs only between beforeAll and afterAll");
    }
    return server;
  }

  /** The running server's URL. */
  public String url() {
    return server().url();
  }
}
