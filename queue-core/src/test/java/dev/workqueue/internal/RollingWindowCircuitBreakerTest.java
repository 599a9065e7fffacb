package dev.workqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.workqueue.CircuitBreaker;
import dev.workqueue.CircuitBreakerConfig;
import dev.workqueue.CircuitBreakerState;
import dev.workqueue.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RollingWindowCircuitBreakerTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final List<String> transitions = new ArrayList<>();

  private CircuitBreaker breaker(double threshold, int minimumSamples) {
    CircuitBreakerConfig config = CircuitBreakerConfig.builder().failureRateThreshold(threshold)
        .minimumSamples(minimumSamples).window(Duration.ofSeconds(10)).cooldown(Duration.ofSeconds(5)).build();
    return CircuitBreaker.create(config, clock, (from, to) -> transitions.add(from + "->" + to));
  }

  @Test
  void opensExactlyWhenEnoughSamplesReachTheFailureRate() {
    qt().forAll(lists().of(booleans().all()).ofSizeBetween(0, 60), integers().between(1, 20),
            integers().between(1, 100))
        .checkAssert((outcomes, minimumSamples, thresholdPercent) -> {
          double threshold = thresholdPercent / 100.0;
          CircuitBreaker breaker = breaker(threshold, minimumSamples);
          int total = 0;
          int failed = 0;
          boolean expectOpen = false;
          for (boolean success : outcomes) {
            if (expectOpen) {
              break;
            }
            total++;
            if (success) {
              breaker.onSuccess();
            } else {
              failed++;
              breaker.onFailure();
              expectOpen = total >= minimumSamples && failed >= threshold * total;
            }
          }
          assertThat(breaker.state()).isEqualTo(expectOpen ? CircuitBreakerState.OPEN : CircuitBreakerState.CLOSED);
          assertThat(breaker.tryAcquirePermission()).isEqualTo(!expectOpen);
        });
  }

  @Test
  void outcomesOlderThanTheWindowNoLongerCount() {
    CircuitBreaker breaker = breaker(0.5, 4);
    breaker.onFailure();
    breaker.onFailure();
    breaker.onFailure();
    clock.advance(Duration.ofSeconds(11));

    breaker.onFailure();

    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.CLOSED);
  }

  @Test
  void openBreakerRefusesUntilCooldownThenGrantsASingleProbe() {
    CircuitBreaker breaker = breaker(0.5, 2);
    breaker.onFailure();
    breaker.onFailure();
    assertThat(breaker.tryAcquirePermission()).isFalse();

    clock.advance(Duration.ofSeconds(5));

    assertThat(breaker.tryAcquirePermission()).isTrue();
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.HALF_OPEN);
    assertThat(breaker.tryAcquirePermission()).as("second probe").isFalse();
  }

  @Test
  void successfulProbeClosesAndFailedProbeReopens() {
    CircuitBreaker breaker = breaker(0.5, 2);
    breaker.onFailure();
    breaker.onFailure();
    clock.advance(Duration.ofSeconds(5));
    breaker.tryAcquirePermission();
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.OPEN);
    assertThat(breaker.tryAcquirePermission()).isFalse();

    clock.advance(Duration.ofSeconds(5));
    breaker.tryAcquirePermission();
    breaker.onSuccess();

    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.CLOSED);
    assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN",
        "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
  }

  /**
   * A wall clock set back (by NTP, say) while the breaker is open must not keep it open for the
   * size of the jump: the consumer would fetch nothing for that long.
   */
  @Test
  void clockSetBackWhileOpenDelaysTheProbeByOneCooldownAtMost() {
    CircuitBreaker breaker = breaker(0.5, 2);
    breaker.onFailure();
    breaker.onFailure();

    clock.advance(Duration.ofHours(-1));
    assertThat(breaker.tryAcquirePermission()).isFalse();
    clock.advance(Duration.ofSeconds(5));

    assertThat(breaker.tryAcquirePermission()).isTrue();
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.HALF_OPEN);
  }

  @Test
  void releasedProbePermissionCanBeGrantedAgain() {
    CircuitBreaker breaker = breaker(0.5, 2);
    breaker.onFailure();
    breaker.onFailure();
    clock.advance(Duration.ofSeconds(5));
    assertThat(breaker.tryAcquirePermission()).isTrue();

    breaker.releasePermission();

    assertThat(breaker.tryAcquirePermission()).isTrue();
  }

  @Test
  void invalidConfigListsEveryProblem() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> CircuitBreakerConfig.builder()
            .failureRateThreshold(0).minimumSamples(0).cooldown(Duration.ZERO).build())
        .hasMessage("invalid circuit breaker config: failureRateThreshold must be greater than 0 and at most 1, "
            + "but was 0.0; minimumSamples must be at least 1, but was 0; cooldown must be between 1ms and "
            + "365 days, but was PT0S");
  }

  @Test
  void cooldownShorterThanTheBreakersMillisecondIsRejected() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> CircuitBreakerConfig.builder()
            .cooldown(Duration.ofNanos(999_999)).build())
        .hasMessage("invalid circuit breaker config: cooldown must be between 1ms and 365 days, "
            + "but was PT0.000999999S");
  }

  @Test
  void windowAndCooldownLongerThanAYearAreRejectedInsteadOfOverflowing() {
    Duration tooLong = Duration.ofSeconds(Long.MAX_VALUE);

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> CircuitBreakerConfig.builder()
            .window(tooLong).cooldown(tooLong).build())
        .hasMessage("invalid circuit breaker config: window must be between 10ms and 365 days, but was "
            + tooLong + "; cooldown must be between 1ms and 365 days, but was " + tooLong);
  }
}
