package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.RateLimiterConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

class RedisRateLimiterBuilderTest {

  @Test
  void builderReportsEveryInvalidSettingAtOnce() {
    assertThatThrownBy(() -> RedisRateLimiter.builder("http://x", "bad name", null)
        .whenUnavailable(null).recheckInterval(Duration.ZERO).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .satisfies(e -> assertThat(((InvalidConfigurationException) e).problems()).containsExactly(
            "name must be 1 to 128 characters of letters, digits, '.', '_', ':' or '-', but was \"bad name\"",
            "config must be set, but was null",
            "whenUnavailable must be set, but was null",
            "recheckInterval must be a positive duration of at most 365 days, but was PT0S",
            "url must be a redis:// or rediss:// URL (the scheme is not redis or rediss), but was \"http://x\""));
    assertThatThrownBy(() -> RedisRateLimiter.builder((RedisClient) null, "n", RateLimiterConfig.of(1)).build())
        .hasMessage("invalid redis rate limiter: client must be set, but was null");
  }

  @Test
  void recheckIntervalBeyondNanosecondRangeIsRefusedNamingTheSetting() {
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);

    assertThatThrownBy(() -> RedisRateLimiter.builder("redis://127.0.0.1:1", "n", RateLimiterConfig.of(1))
            .recheckInterval(forever).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid redis rate limiter: recheckInterval must be a positive duration of at most "
            + "365 days, but was " + forever);
  }

  @Test
  void keyCarriesTheNameAsHashTag() {
    assertThat(RedisRateLimiter.key("emails")).isEqualTo("wq:v1:{ratelimit:emails}");
  }

  @Test
  void builtFromAUrlTheLimiterOwnsItsClientAndConnectsOnFirstUse() {
    try (RedisRateLimiter limiter = RedisRateLimiter.builder("redis://127.0.0.1:1", "lazy",
        RateLimiterConfig.of(5)).build()) {
      assertThat(limiter.name()).isEqualTo("lazy");
      assertThat(limiter.config()).isEqualTo(RateLimiterConfig.of(5));
    }
  }
}
