package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.BackendClosedException;
import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.RateLimiterConfig;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

class RedisQueueBackendBuilderTest {

  @Test
  void buildReportsEveryInvalidSettingAtOnce() {
    RedisQueueBackend.Builder builder = RedisQueueBackend.builder().url("http://h:1").namespace("a{b}")
        .database(-1).connectTimeout(Duration.ofNanos(999_999)).socketTimeout(Duration.ofDays(30)).poolSize(0)
        .completedHistorySize(-5).completedHistoryAge(Duration.ZERO).deadLetterLimit(-1)
        .deadLetterAge(Duration.ofDays(3651));

    assertThatThrownBy(builder::build)
        .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.problems()).containsExactly(
            "url must be a redis:// or rediss:// URL (the scheme is not redis or rediss), but was \"http://h:1\"",
            "namespace must be 1 to 64 letters, digits, '.', '_' or '-', but was \"a{b}\"",
            "database must be at least 0, but was -1",
            "connectTimeout must be between 1ms and 1h, but was PT0.000999999S",
            "socketTimeout must be between 1ms and 1h, but was PT720H",
            "poolSize must be at least 1, but was 0",
            "completedHistorySize must be at least 0, but was -5",
            "completedHistoryAge must be a positive duration of at most 3650 days, but was PT0S",
            "deadLetterLimit must be at least 0, but was -1",
            "deadLetterAge must be a positive duration of at most 3650 days, but was PT87624H"));
  }

  @Test
  void theReplicaWaitMustEndBeforeTheSocketTimeoutAndCountNoFewerThanZeroReplicas() {
    assertThatThrownBy(() -> RedisQueueBackend.builder().waitForReplicas(-1, Duration.ofSeconds(2)).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid redis backend: waitForReplicas replicas must be at least 0, but was -1; "
            + "waitForReplicas timeout must be shorter than the socket timeout (2000ms), but was PT2S");
    assertThat(RedisQueueBackend.builder().waitForReplicas(0, Duration.ofHours(2)).build()).isNotNull();
    assertThatThrownBy(() -> RedisQueueBackend.builder().socketTimeout(Duration.ofSeconds(5))
            .waitForReplicas(1, Duration.ZERO).build())
        .hasMessage("invalid redis backend: waitForReplicas timeout must be between 1ms and 1h, but was PT0S");
    assertThat(RedisQueueBackend.builder().socketTimeout(Duration.ofSeconds(5))
        .waitForReplicas(1, Duration.ofSeconds(4)).build()).isNotNull();
  }

  @Test
  void deadLetterAgeMustBePositive() {
    assertThatThrownBy(() -> RedisQueueBackend.builder().deadLetterAge(Duration.ZERO).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid redis backend: deadLetterAge must be a positive duration of at most 3650 days, "
            + "but was PT0S");
    assertThatThrownBy(() -> RedisQueueBackend.builder().deadLetterAge(null).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid redis backend: deadLetterAge must be a positive duration of at most 3650 days, "
            + "but was null");
  }

  @Test
  void completedHistoryAgeBeyondMillisecondRangeIsRefusedNamingTheSetting() {
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);

    assertThatThrownBy(() -> RedisQueueBackend.builder().completedHistoryAge(forever).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid redis backend: completedHistoryAge must be a positive duration of at most "
            + "3650 days, but was " + forever);
  }

  @Test
  void passwordInAnInvalidUrlIsNeverEchoed() {
    assertThatThrownBy(() -> RedisQueueBackend.builder().url("redis://app:s3cret@/0").build())
        .hasMessageContaining("redis://app:******@/0")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void passwordInTheQueryOfARefusedUrlIsNeverEchoed() {
    assertThatThrownBy(() -> RedisQueueBackend.builder().url("redis://cache:6379/0?password=s3cret").build())
        .hasMessageContaining("redis://cache:6379/0?******")
        .hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> RedisRateLimiter.builder("redis://cache:6379?password=s3cret", "api",
            RateLimiterConfig.of(10)).build())
        .hasMessageContaining("redis://cache:6379?******")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void tlsSocketFactoryCannotBeCombinedWithAPlainUrl() throws Exception {
    SSLSocketFactory factory = SSLContext.getDefault().getSocketFactory();

    RedisQueueBackend.Builder plain = RedisQueueBackend.builder().url("redis://h:6379")
        .sslSocketFactory(factory);

    assertThatThrownBy(plain::build)
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid redis backend: sslSocketFactory cannot be combined with a redis:// url; "
            + "use rediss:// for TLS");
    RedisQueueBackend.builder().url("rediss://h:6379").sslSocketFactory(factory).build().close();
  }

  /** Jedis sends no AUTH without a password: the user name alone connected as the default user. */
  @Test
  void userNameWithoutPasswordIsRefusedInsteadOfConnectingAsTheDefaultUser() {
    String problem = "username \"app\" needs a password: Redis authenticates an ACL user by both "
        + "(a nopass user takes any password)";

    assertThatThrownBy(() -> RedisQueueBackend.builder().url("redis://h").username("app").build())
        .isInstanceOfSatisfying(InvalidConfigurationException.class,
            e -> assertThat(e.problems()).containsExactly(problem));
    assertThatThrownBy(() -> RedisQueueBackend.builder().url("redis://app:@h").build())
        .isInstanceOfSatisfying(InvalidConfigurationException.class,
            e -> assertThat(e.problems()).containsExactly(problem));
    assertThatThrownBy(() -> RedisRateLimiter.builder("redis://app:@h", "n", RateLimiterConfig.of(1)).build())
        .hasMessage("invalid redis rate limiter: " + problem);
    RedisQueueBackend.builder().url("redis://app:@h").password("secret").build().close();
  }

  @Test
  void callerOwnedClientCannotBeCombinedWithConnectionSettings() {
    try (RedisClient client = RedisClient.create("redis://127.0.0.1:1")) {
      assertThatThrownBy(() -> RedisQueueBackend.builder().client(client).url("redis://h").poolSize(3).build())
          .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.problems())
              .containsExactly("client cannot be combined with url", "client cannot be combined with poolSize"));
    }
  }

  @Test
  void closingTheBackendLeavesACallerOwnedClientOpen() {
    try (RedisClient client = RedisClient.create("redis://127.0.0.1:1")) {
      RedisQueueBackend backend = RedisQueueBackend.builder().client(client).build();
      backend.close();

      assertThat(client.getPool().isClosed()).isFalse();
      assertThatThrownBy(() -> backend.stats("q")).isInstanceOf(BackendClosedException.class);
    }
  }

  @Test
  void unreachableServerIsReportedAsTransient() {
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url("redis://127.0.0.1:1")
        .connectTimeout(Duration.ofMillis(200)).build()) {
      assertThatThrownBy(backend::ping).isInstanceOf(dev.workqueue.BackendUnavailableException.class)
          .hasMessageStartingWith("redis unavailable during ping");
    }
  }
}
