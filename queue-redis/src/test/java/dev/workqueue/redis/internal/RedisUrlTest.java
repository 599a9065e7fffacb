package dev.workqueue.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RedisUrlTest {

  @Test
  void fullUrlGivesEveryPart() {
    RedisUrl url = RedisUrl.parse("rediss://app:p%40ss@redis.internal:6380/3");

    assertThat(url).isEqualTo(new RedisUrl(true, "redis.internal", 6380, "app", "p@ss", 3));
    assertThat(url.toString()).isEqualTo("rediss://app@redis.internal:6380/3");
  }

  @Test
  void passwordOnlyAndDefaultsAreUnderstood() {
    assertThat(RedisUrl.parse("redis://:secret@localhost"))
        .isEqualTo(new RedisUrl(false, "localhost", 6379, null, "secret", 0));
    assertThat(RedisUrl.parse("redis://127.0.0.1:7000"))
        .isEqualTo(new RedisUrl(false, "127.0.0.1", 7000, null, null, 0));
  }

  @Test
  void aPlusInTheUserInfoStaysAPlus() {
    assertThat(RedisUrl.parse("redis://a+b:c+d%2B@h").password()).isEqualTo("c+d+");
    assertThat(RedisUrl.parse("redis://a+b:c+d%2B@h").username()).isEqualTo("a+b");
  }

  @Test
  void badUrlsAreRefusedWithAReason() {
    assertThatThrownBy(() -> RedisUrl.parse("redis://h/x")).hasMessage("the path is not a database number");
    assertThatThrownBy(() -> RedisUrl.parse("tcp://h")).hasMessage("the scheme is not redis or rediss");
  }

  @Test
  void portOutOfRangeAndIgnoredOptionsAreRefusedInsteadOfFailingAtTheFirstConnection() {
    assertThatThrownBy(() -> RedisUrl.parse("redis://h:99999/0"))
        .hasMessage("the port is not between 1 and 65535");
    assertThatThrownBy(() -> RedisUrl.parse("redis://h:0")).hasMessage("the port is not between 1 and 65535");
    assertThatThrownBy(() -> RedisUrl.parse("redis://h:6379/0?ssl=true"))
        .hasMessage("a query or fragment is not supported");
    assertThatThrownBy(() -> RedisUrl.parse("redis://h/0#x"))
        .hasMessage("a query or fragment is not supported");
    assertThat(RedisUrl.parse("redis://h:65535").port()).isEqualTo(65_535);
    assertThat(RedisUrl.parse("redis://h").port()).isEqualTo(6379);
  }

  @Test
  void redactionHidesThePasswordOnly() {
    assertThat(RedisUrl.redact("redis://app:secret@h:1/0")).isEqualTo("redis://app:******@h:1/0");
    assertThat(RedisUrl.redact("redis://secret@h:1")).isEqualTo("redis://******@h:1");
    assertThat(RedisUrl.redact("redis://app:a/b@c@h:1")).isEqualTo("redis://app:******@h:1");
    assertThat(RedisUrl.redact("redis://h:1")).isEqualTo("redis://h:1");
    assertThat(RedisUrl.redact("cache?x")).isEqualTo("cache?x");
    assertThat(RedisUrl.redact("redis://h:1/?password=secret")).isEqualTo("redis://h:1/?******");
    assertThat(RedisUrl.redact("redis://app:secret@h:1/0#pw=secret"))
        .isEqualTo("redis://app:******@h:1/0#******");
  }
}
