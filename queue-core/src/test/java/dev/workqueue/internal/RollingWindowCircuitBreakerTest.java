package dev.workqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.workqueue.CircuitBreaker;
import dev.workqueue.CircuitBreaker.Permission;
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
          Permission permission = breaker.tryAcquirePermission();
          int total = 0;
          int failed = 0;
          boolean expectOpen = false;
          for (boolean success : outcomes) {
            if (expectOpen) {
              break;
            }
            total++;
            if (success) {
              breaker.onSuccess(permission);
            } else {
              failed++;
              breaker.onFailure(permission);
              expectOpen = total >= minimumSamples && failed >= threshold * total;
            }
          }
          assertThat(breaker.state()).isEqualTo(expectOpen ? CircuitBreakerState.OPEN : CircuitBreakerState.CLOSED);
          assertThat(breaker.tryAcquirePermission().granted()).isEqualTo(!expectOpen);
        });
  }

  @Test
  void outcomesOlderThanTheWindowNoLongerCount() {
    CircuitBreaker breaker = breaker(0.5, 4);
    Permission permission = breaker.tryAcquirePermission();
    breaker.onFailure(permission);
    breaker.onFailure(permission);
    breaker.onFailure(permission);
    clock.advance(Duration.ofSeconds(11));

    breaker.onFailure(permission);

    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.CLOSED);
  }

  @Test
  void openBreakerRefusesUntilCooldownThenGrantsASingleProbe() {
    CircuitBreaker breaker = breaker(0.5, 2);
    open(breaker);
    assertThat(breaker.tryAcquirePermission().granted()).isFalse();

    clock.advance(Duration.ofSeconds(5));

    Permission probe = breaker.tryAcquirePermission();
    assertThat(probe.granted()).isTrue();
    assertThat(probe.probe()).isTrue();
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.HALF_OPEN);
    assertThat(breaker.tryAcquirePermission().granted()).as("second probe").isFalse();
  }

  @Test
  void successfulProbeClosesAndFailedProbeReopens() {
    CircuitBreaker breaker = breaker(0.5, 2);
    open(breaker);
    clock.advance(Duration.ofSeconds(5));
    breaker.onFailure(breaker.tryAcquirePermission());
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.OPEN);
    assertThat(breaker.tryAcquirePermission().granted()).isFalse();

    clock.advance(Duration.ofSeconds(5));
    breaker.onSuccess(breaker.tryAcquirePermission());

    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.CLOSED);
    Permission closed = breaker.tryAcquirePermission();
    assertThat(closed.granted()).isTrue();
    assertThat(closed.probe()).isFalse();
    assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN",
        "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
  }

  /**
   * A job fetched before the breaker opened can run far longer than the cooldown. Its outcome says
   * nothing about whether the outage is over: only the probe's may close or reopen the breaker.
   */
  @Test
  void outcomesOfWorkFetchedBeforeTheBreakerOpenedLeaveTheProbeToDecide() {
    HalfOpen halfOpen = halfOpenWithWorkFromBefore();
    CircuitBreaker breaker = halfOpen.breaker();
    Permission beforeOpening = halfOpen.beforeOpening();
    Permission probe = halfOpen.probe();

    breaker.onSuccess(beforeOpening);
    assertThat(breaker.state()).as("after an old job's success").isEqualTo(CircuitBreakerState.HALF_OPEN);
    breaker.onFailure(beforeOpening);
    breaker.onFailure(beforeOpening);
    assertThat(breaker.state()).as("after old jobs' failures").isEqualTo(CircuitBreakerState.HALF_OPEN);
    assertThat(breaker.tryAcquirePermission().granted()).as("second probe").isFalse();

    breaker.onSuccess(probe);

    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.CLOSED);
    assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
  }

  @Test
  void probeFailingWhileOldJobsSucceedReopensForAFreshCooldown() {
    HalfOpen halfOpen = halfOpenWithWorkFromBefore();
    CircuitBreaker breaker = halfOpen.breaker();
    Permission probe = halfOpen.probe();
    breaker.onSuccess(halfOpen.beforeOpening());

    clock.advance(Duration.ofSeconds(3));
    breaker.onFailure(probe);

    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.OPEN);
    clock.advance(Duration.ofSeconds(4));
    assertThat(breaker.tryAcquirePermission().granted()).as("within the new cooldown").isFalse();
    clock.advance(Duration.ofSeconds(1));
    assertThat(breaker.tryAcquirePermission().probe()).isTrue();
  }

  /**
   * Failures of jobs from before the breaker opened, reported after the probe closed it, must not
   * reopen it: the window of the new closed period starts empty and holds only its own outcomes.
   */
  @Test
  void outcomesOfWorkFetchedBeforeTheBreakerOpenedDoNotCountOnceItClosedAgain() {
    HalfOpen halfOpen = halfOpenWithWorkFromBefore();
    CircuitBreaker breaker = halfOpen.breaker();
    Permission beforeOpening = halfOpen.beforeOpening();
    breaker.onSuccess(halfOpen.probe());

    breaker.onFailure(beforeOpening);
    breaker.onFailure(beforeOpening);
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.CLOSED);
    Permission afterClosing = breaker.tryAcquirePermission();
    breaker.onFailure(afterClosing);
    breaker.onFailure(afterClosing);
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.OPEN);
  }

  /**
   * A wall clock set back (by NTP, say) while the breaker is open must not keep it open for the
   * size of the jump: the consumer would fetch nothing for that long.
   */
  @Test
  void clockSetBackWhileOpenDelaysTheProbeByOneCooldownAtMost() {
    CircuitBreaker breaker = breaker(0.5, 2);
    open(breaker);

    clock.advance(Duration.ofHours(-1));
    assertThat(breaker.tryAcquirePermission().granted()).isFalse();
    clock.advance(Duration.ofSeconds(5));

    assertThat(breaker.tryAcquirePermission().granted()).isTrue();
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.HALF_OPEN);
  }

  @Test
  void releasedProbeCanBeGrantedAgainAndDecidesNothingAfterwards() {
    CircuitBreaker breaker = breaker(0.5, 2);
    open(breaker);
    clock.advance(Duration.ofSeconds(5));
    Permission released = breaker.tryAcquirePermission();

    breaker.releasePermission(released);
    Permission probe = breaker.tryAcquirePermission();

    assertThat(probe.probe()).isTrue();
    breaker.onSuccess(released);
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.HALF_OPEN);
    breaker.onSuccess(probe);
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.CLOSED);
  }

  @Test
  void releasingAnythingButTheOutstandingProbeGrantsNoSecondProbe() {
    HalfOpen halfOpen = halfOpenWithWorkFromBefore();
    CircuitBreaker breaker = halfOpen.breaker();
    Permission denied = breaker.tryAcquirePermission();
    assertThat(halfOpen.probe().probe()).isTrue();
    assertThat(denied.granted()).isFalse();

    breaker.releasePermission(halfOpen.beforeOpening());
    breaker.releasePermission(denied);

    assertThat(breaker.tryAcquirePermission().granted()).isFalse();
  }

  /** A breaker past its cooldown, its probe granted, and a permission from before it opened. */
  private record HalfOpen(CircuitBreaker breaker, Permission beforeOpening, Permission probe) {}

  private HalfOpen halfOpenWithWorkFromBefore() {
    CircuitBreaker breaker = breaker(0.5, 2);
    Permission beforeOpening = breaker.tryAcquirePermission();
    open(breaker);
    clock.advance(Duration.ofSeconds(5));
    return new HalfOpen(breaker, beforeOpening, breaker.tryAcquirePermission());
  }

  private static void open(CircuitBreaker breaker) {
    Permission permission = breaker.tryAcquirePermission();
    breaker.onFailure(permission);
    breaker.onFailure(permission);
    assertThat(breaker.state()).isEqualTo(CircuitBreakerState.OPEN);
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
