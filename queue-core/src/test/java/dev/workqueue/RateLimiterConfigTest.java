package dev.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RateLimiterConfigTest {

  @Test
  void builderStartsFromTheNamedDefaults() {
    RateLimiterConfig config = RateLimiterConfig.builder().permitsPerSecond(200).build();

    assertThat(config.permitsPerSecond()).isEqualTo(200.0);
    assertThat(config.burst()).isEqualTo(RateLimiterConfig.DEFAULT_BURST);
    assertThat(config.jitter()).isEqualTo(RateLimiterConfig.DEFAULT_JITTER);
    assertThat(RateLimiterConfig.of(200)).isEqualTo(config);
  }

  @Test
  void fromCopiesEveryValueOfThePrototype() {
    RateLimiterConfig prototype = new RateLimiterConfig(50, 7, 0.3);

    assertThat(RateLimiterConfig.from(prototype).build()).isEqualTo(prototype);
    assertThat(RateLimiterConfig.from(prototype).burst(2).build().burst()).isEqualTo(2);
  }

  @Test
  void everyInvalidValueIsReportedAtOnceWithItsRule() {
    assertThatThrownBy(() -> RateLimiterConfig.builder().burst(0).jitter(1.5).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .satisfies(e -> assertThat(((InvalidConfigurationException) e).problems()).containsExactly(
            "permitsPerSecond must be between 1.0E-6 and 1.0E9, but was 0.0",
            "burst must be at least 1, but was 0",
            "jitter must be between 0.0 and 1.0, but was 1.5"))
        .hasMessageStartingWith("invalid rate limiter config: ");
  }

  @Test
  void notANumberAndTooHighRatesAreRejected() {
    assertThatThrownBy(() -> RateLimiterConfig.of(Double.NaN))
        .hasMessageContaining("permitsPerSecond must be between 1.0E-6 and 1.0E9, but was NaN");
    assertThatThrownBy(() -> RateLimiterConfig.of(2.0E9))
        .hasMessageContaining("permitsPerSecond must be between 1.0E-6 and 1.0E9, but was 2.0E9");
    assertThatThrownBy(() -> RateLimiter.local(-1))
        .isInstanceOf(InvalidConfigurationException.class);
  }
}
