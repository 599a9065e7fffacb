package dev.workqueue;

import dev.workqueue.internal.Problems;
import java.time.Duration;

/**
 * When a consumer's {@link CircuitBreaker} opens and how it recovers. It opens when, over the
 * last {@code window}, at least {@code minimumSamples} attempts finished and the share that
 * failed reached {@code failureRateThreshold}; after {@code cooldown} it lets a single probe job
 * through, and closes if that succeeds or reopens if it fails.
 *
 * @param failureRateThreshold failure share in (0, 1] that opens the breaker
 * @param window length of the rolling window of outcomes, 10 ms to 365 days
 * @param minimumSamples outcomes needed in the window before the rate is judged
 * @param cooldown how long the breaker stays open before probing, from 1 ms to 365 days
 */
public record CircuitBreakerConfig(
    double failureRateThreshold, Duration window, int minimumSamples, Duration cooldown) {

  /** Default {@link #failureRateThreshold()}: 0.5. */
  public static final double DEFAULT_FAILURE_RATE_THRESHOLD = 0.5;
  /** Default {@link #window()}: 60 seconds. */
  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(60);
  /** Default {@link #minimumSamples()}: 20. */
  public static final int DEFAULT_MINIMUM_SAMPLES = 20;
  /** Default {@link #cooldown()}: 30 seconds. */
  public static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(30);

  /** @throws InvalidConfigurationException naming every invalid argument */
  public CircuitBreakerConfig {
    new Problems("circuit breaker config")
        .check(failureRateThreshold > 0.0 && failureRateThreshold <= 1.0, "failureRateThreshold",
            "greater than 0 and at most 1", failureRateThreshold)
        // Unbounded durations overflowed when read as milliseconds: here, or in a consumer's worker.
        .within(window, Duration.ofMillis(10), Problems.LONGEST_SETTING, "window",
            "between 10ms and 365 days")
        .atLeast(minimumSamples, 1, "minimumSamples")
        // The breaker counts in milliseconds: a shorter cooldown ended at once, and the fetcher,
        // napping for the cooldown while a probe ran, spun.
        .within(cooldown, Duration.ofMillis(1), Problems.LONGEST_SETTING, "cooldown",
            "between 1ms and 365 days")
        .throwIfAny();
  }

  /** The defaults: open at 50% failures over 60 s with at least 20 samples, 30 s cooldown. */
  public static CircuitBreakerConfig ofDefaults() {
    return builder().build();
  }

  /** Starts from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link CircuitBreakerConfig}; {@link #build()} leaves the builder reusable. */
  public static final class Builder {
    private double failureRateThreshold = DEFAULT_FAILURE_RATE_THRESHOLD;
    private Duration window = DEFAULT_WINDOW;
    private int minimumSamples = DEFAULT_MINIMUM_SAMPLES;
    private Duration cooldown = DEFAULT_COOLDOWN;

    private Builder() {}

    /** Failure share that opens the breaker; default 0.5. */
    public Builder failureRateThreshold(double failureRateThreshold) {
      this.failureRateThreshold = failureRateThreshold;
      return this;
    }

    /** Rolling window length, 10 ms to 365 days; default 60 seconds. */
    public Builder window(Duration window) {
      this.window = window;
      return this;
    }

    /** Outcomes needed before judging; default 20. */
    public Builder minimumSamples(int minimumSamples) {
      this.minimumSamples = minimumSamples;
      return this;
    }

    /** Time spent open before a probe, from 1 ms to 365 days; default 30 seconds. */
    public Builder cooldown(Duration cooldown) {
      this.cooldown = cooldown;
      return this;
    }

    /** @throws InvalidConfigurationException naming every invalid argument */
    public CircuitBreakerConfig build() {
      return new CircuitBreakerConfig(failureRateThreshold, window, minimumSamples, cooldown);
    }
  }
}
