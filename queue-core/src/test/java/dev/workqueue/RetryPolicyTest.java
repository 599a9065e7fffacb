package dev.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private static RetryPolicy policy(int baseMillis, int maxMillis, double multiplier, double jitter) {
    return RetryPolicy.builder().initialBackoff(Duration.ofMillis(baseMillis))
        .maxBackoff(Duration.ofMillis(maxMillis)).multiplier(multiplier).jitter(jitter).build();
  }

  @Test
  void backoffStaysBetweenTheJitteredInitialBackoffAndMaxBackoff() {
    qt().forAll(integers().between(1, 5_000), integers().between(0, 600_000),
            doubles().between(1.0, 10.0), doubles().between(0.0, 1.0))
        .checkAssert((base, extra, multiplier, jitter) -> {
          RetryPolicy policy = policy(base, base + extra, multiplier, jitter);
          qt().withExamples(50).forAll(integers().between(1, 200), doubles().between(0.0, 0.999999))
              .checkAssert((attempt, random) -> assertThat(policy.backoff(attempt, random)).isBetween(
                  Duration.ofNanos((long) (policy.initialBackoff().toNanos() * (1 - jitter)) - 1),
                  policy.maxBackoff()));
        });
  }

  @Test
  void backoffCeilingNeverShrinksAsAttemptsGrow() {
    qt().forAll(integers().between(1, 5_000), integers().between(0, 600_000),
            doubles().between(1.0, 10.0), integers().between(1, 199))
        .checkAssert((base, extra, multiplier, attempt) -> {
          RetryPolicy policy = policy(base, base + extra, multiplier, 0.5);
          assertThat(policy.backoffCeiling(attempt + 1)).isGreaterThanOrEqualTo(policy.backoffCeiling(attempt));
        });
  }

  @Test
  void jitterShortensADelayByAtMostItsFraction() {
    qt().forAll(integers().between(1, 5_000), doubles().between(0.0, 1.0),
            integers().between(1, 30), doubles().between(0.0, 0.999999))
        .checkAssert((base, jitter, attempt, random) -> {
          RetryPolicy policy = policy(base, 3_600_000, 2.0, jitter);
          long ceiling = policy.backoffCeiling(attempt).toNanos();
          long delay = policy.backoff(attempt, random).toNanos();
          assertThat(delay).isLessThanOrEqualTo(ceiling);
          assertThat(delay).isGreaterThanOrEqualTo((long) (ceiling * (1 - jitter)) - 1);
        });
  }

  @Test
  void theFirstRetryIsJitteredTooSoJobsThatFailedTogetherDoNotAllReturnTogether() {
    RetryPolicy policy = policy(1_000, 60_000, 2.0, 0.2);

    assertThat(policy.backoff(1, 0.0)).isEqualTo(Duration.ofMillis(1_000));
    assertThat(policy.backoff(1, 0.5)).isEqualTo(Duration.ofMillis(900));
    assertThat(policy.backoff(1, 1.0)).isEqualTo(Duration.ofMillis(800));
  }

  @Test
  void withoutJitterTheDelayDoublesUpToTheMaximum() {
    RetryPolicy policy = policy(100, 1_000, 2.0, 0.0);
    assertThat(policy.backoff(1, 0.5)).isEqualTo(Duration.ofMillis(100));
    assertThat(policy.backoff(2, 0.5)).isEqualTo(Duration.ofMillis(200));
    assertThat(policy.backoff(4, 0.5)).isEqualTo(Duration.ofMillis(800));
    assertThat(policy.backoff(5, 0.5)).isEqualTo(Duration.ofMillis(1_000));
    assertThat(policy.backoff(500, 0.5)).isEqualTo(Duration.ofMillis(1_000));
  }

  @Test
  void jitterDrawOutsideZeroToOneIsRefusedInsteadOfLeavingTheBounds() {
    RetryPolicy policy = RetryPolicy.ofDefaults();

    for (double random : new double[] {Double.NaN, -1.0, 1.5}) {
      assertThatThrownBy(() -> policy.backoff(3, random))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("random must be between 0.0 and 1.0, but was " + random);
    }
    assertThat(policy.backoff(3, 1.0)).isEqualTo(Duration.ofMillis(3_200));
    assertThat(policy.backoff(3, 0.0)).isEqualTo(policy.backoffCeiling(3));
  }

  @Test
  void invalidSettingsAreReportedTogetherWithTheirValues() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0).initialBackoff(Duration.ofSeconds(-1))
            .multiplier(0.5).jitter(1.5).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .satisfies(e -> assertThat(((InvalidConfigurationException) e).problems()).containsExactly(
            "maxAttempts must be at least 1, but was 0",
            "initialBackoff must be a positive duration of at most 365 days, but was PT-1S",
            "multiplier must be a finite number of at least 1.0, but was 0.5",
            "jitter must be between 0.0 and 1.0, but was 1.5"));
  }

  @Test
  void maxBackoffBelowInitialBackoffIsRejectedNamingBoth() {
    assertThatThrownBy(() -> policy(1_000, 0, 2.0, 0).backoff(1, 0))
        .isInstanceOf(InvalidConfigurationException.class);
    assertThatThrownBy(() -> RetryPolicy.builder().initialBackoff(Duration.ofSeconds(2))
            .maxBackoff(Duration.ofSeconds(1)).build())
        .hasMessageContaining("maxBackoff must be at least initialBackoff (PT2S), but was PT1S");
  }

  @Test
  void backoffsLongerThanAYearAreRejectedInsteadOfOverflowingAtTheFirstFailure() {
    Duration tooLong = Duration.ofDays(300 * 365);

    assertThatThrownBy(() -> RetryPolicy.builder().initialBackoff(tooLong).maxBackoff(tooLong).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .satisfies(e -> assertThat(((InvalidConfigurationException) e).problems()).containsExactly(
            "initialBackoff must be a positive duration of at most 365 days, but was " + tooLong,
            "maxBackoff must be a positive duration of at most 365 days, but was " + tooLong));
    RetryPolicy longest = RetryPolicy.builder().initialBackoff(Duration.ofDays(365))
        .maxBackoff(Duration.ofDays(365)).build();
    assertThat(longest.backoff(Integer.MAX_VALUE, 0.0)).isEqualTo(Duration.ofDays(365));
  }

  @Test
  void fromCopiesEverySetting() {
    RetryPolicy original = policy(5, 50, 3.0, 0.1);
    assertThat(RetryPolicy.from(original).build()).isEqualTo(original);
  }
}
