package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.QueueException;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.testkit.redis.RedisServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Credentials from the URL or the builder, ACL users, and what a wrong password looks like. */
class AuthenticationIT {
  private static final String PASSWORD = "default-secret";
  private static RedisServer redis;

  @BeforeAll
  static void startRedis() throws Exception {
    redis = RedisServer.builder().password(PASSWORD).start();
    redis.command("ACL", "SETUSER", "app", "on", ">app-secret", "~wq:*", "&*", "+@all");
    redis.command("ACL", "SETUSER", "plus", "on", ">a+b/c", "~*", "&*", "+@all");
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @Test
  void passwordInTheUrlIsUsed() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).build()) {
      backend.ping();
    }
  }

  @Test
  void aclUserFromTheBuilderOverridesTheUrl() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url("redis://nobody:wrong@127.0.0.1:" + redis.port())
        .username("app").password("app-secret").build()) {
      backend.ping();
      assertThat(backend.stats("q").pending()).isZero();
    }
  }

  /** A {@code +} in a URL is a plus sign (form decoding would make it a space), as Jedis reads it. */
  @Test
  void aPlusInTheUrlsPasswordIsAPlusForTheBackendAndTheRateLimiter() throws Exception {
    String url = "redis://plus:a+b%2Fc@127.0.0.1:" + redis.port();
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(url).build();
        RedisRateLimiter limiter = RedisRateLimiter.builder(url, "plus", RateLimiterConfig.of(10)).build()) {
      backend.ping();
      assertThat(limiter.tryAcquire(1)).isTrue();
    }
  }

  /** {@code redis://secret@host} names a password, not a user, for the rate limiter as for the backend. */
  @Test
  void aPasswordOnlyUrlWorksForTheRateLimiter() throws Exception {
    String url = "redis://" + PASSWORD + "@127.0.0.1:" + redis.port();
    try (RedisRateLimiter limiter = RedisRateLimiter.builder(url, "bare", RateLimiterConfig.of(10)).build()) {
      assertThat(limiter.tryAcquire(1)).isTrue();
    }
  }

  /**
   * The clients authenticate with {@code HELLO 3 AUTH <user> <password>}; a server that does not
   * know HELLO (before Redis 6, or with the command renamed) echoes those arguments in its error.
   */
  @Test
  void aServerWithoutHelloIsAPermanentErrorWhoseStackTraceNeverShowsThePassword() {
    try (RedisServer old = RedisServer.builder().password(PASSWORD).options("--rename-command", "HELLO", "")
            .start();
        RedisQueueBackend backend = RedisQueueBackend.builder().url(old.url()).build();
        RedisRateLimiter limiter =
            RedisRateLimiter.builder(old.url(), "old", RateLimiterConfig.of(10)).build()) {
      for (Runnable call : List.<Runnable>of(backend::ping, () -> limiter.tryAcquire(1))) {
        assertThatThrownBy(call::run).isExactlyInstanceOf(QueueException.class)
            .hasMessageContaining("does not support HELLO")
            .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(PASSWORD));
      }
    }
  }

  @Test
  void wrongPasswordIsAPermanentErrorThatNeverShowsThePassword() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url("redis://127.0.0.1:" + redis.port())
        .username("app").password("not-the-secret").build()) {
      assertThatThrownBy(backend::ping)
          .isInstanceOf(QueueException.class)
          .isNotInstanceOf(BackendUnavailableException.class)
          .hasMessageNotContaining("not-the-secret");
    }
  }

  private static String stackTrace(Throwable failure) {
    StringWriter trace = new StringWriter();
    failure.printStackTrace(new PrintWriter(trace));
    return trace.toString();
  }
}
