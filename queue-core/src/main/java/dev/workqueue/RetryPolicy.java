package dev.workqueue;

import dev.workqueue.internal.Problems;
import java.time.Duration;

/**
 * How failed attempts are retried: exponential backoff with jitter, then the dead-letter queue.
 * The delay before retry {@code n} (after the {@code n}-th failed attempt) is
 * {@code min(maxBackoff, initialBackoff × multiplier^(n-1))}, reduced by a random fraction of at
 * most {@code jitter}: jobs that failed together (in an outage, say) retry spread out, from the
 * first retry on. The wait happens in the backend's delayed set; no worker thread sleeps through it.
 *
 * @param maxAttempts deliveries allowed before a job is dead-lettered, for jobs that do not set
 *     their own
 * @param initialBackoff delay before the first retry, at most 365 days
 * @param maxBackoff the longest delay, at most 365 days
 * @param multiplier growth factor per further failure, at least 1
 * @param jitter fraction in [0, 1] by which a delay may be randomly shortened
 */
public record RetryPolicy(
    int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier, double jitter) {

  /** Default {@link #maxAttempts()}: 5. */
  public static final int DEFAULT_MAX_ATTEMPTS = 5;
  /** Default {@link #initialBackoff()}: 1 second. */
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);
  /** Default {@link #maxBackoff()}: 10 minutes. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(10);
  /** Default {@link #multiplier()}: 2. */
  public static final double DEFAULT_MULTIPLIER = 2.0;
  /** Default {@link #jitter()}: 0.2. */
  public static final double DEFAULT_JITTER = 0.2;

  /**
   * @throws InvalidConfigurationException naming every invalid argument
   */
  public RetryPolicy {
    Problems problems = new Problems("retry policy")
        .atLeast(maxAttempts, 1, "maxAttempts")
        // An unbounded backoff overflowed at the first failure, killing the worker that planned it.
        .positiveUpTo(initialBackoff, Problems.LONGEST_SETTING, "initialBackoff")
        .positiveUpTo(maxBackoff, Problems.LONGEST_SETTING, "maxBackoff")
        .check(multiplier >= 1.0 && Double.isFinite(multiplier), "multiplier", "a finite number of at least 1.0", multiplier)
        .between(jitter, 0.0, 1.0, "jitter");
    if (initialBackoff != null && maxBackoff != null && maxBackoff.compareTo(initialBackoff) < 0) {
      problems.add("maxBackoff must be at least initialBackoff (" + initialBackoff + "), but was " + maxBackoff);
    }
    problems.throwIfAny();
  }

  /** The defaults: 5 attempts, 1 s initial backoff doubling up to 10 min, 20% jitter. */
  public static RetryPolicy ofDefaults() {
    return builder().build();
  }

  /** A policy that dead-letters on the first failure. */
  public static RetryPolicy noRetries() {
    return builder().maxAttempts(1).build();
  }

  /** Starts from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts from the values of {@code prototype}. */
  public static Builder from(RetryPolicy prototype) {
    return new Builder()
        .maxAttempts(prototype.maxAttempts)
        .initialBackoff(prototype.initialBackoff)
        .maxBackoff(prototype.maxBackoff)
        .multiplier(prototype.multiplier)
        .jitter(prototype.jitter);
  }

  /**
   * The delay before the retry that follows failed attempt {@code attempt}.
   *
   * @param attempt the attempt that failed, at least 1
   * @param random a number in [0, 1] choosing the jitter, usually a uniform random one; 0 keeps
   *     the whole {@link #backoffCeiling}
   * @throws IllegalArgumentException if {@code attempt} is below 1 or {@code random} is outside
   *     [0, 1]
   */
  public Duration backoff(int attempt, double random) {
    // Outside the range the delay left its bounds without a word: NaN gave zero, -1 more than
    // maxBackoff allows.
    if (!(random >= 0.0 && random <= 1.0)) {
      throw new IllegalArgumentException("random must be between 0.0 and 1.0, but was " + random);
    }
    // No floor at initialBackoff: it took the jitter off the first retry, so every job that failed
    // at once came back at once.
    return Duration.ofNanos((long) (ceilingNanos(attempt) * (1.0 - jitter * random)));
  }

  /** The delay before jitter: the upper bound of {@link #backoff} for this attempt. */
  public Duration backoffCeiling(int attempt) {
    return Duration.ofNanos((long) ceilingNanos(attempt));
  }

  private double ceilingNanos(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be at least 1, but was " + attempt);
    }
    double raw = initialBackoff.toNanos() * Math.pow(multiplier, attempt - 1);
    return Math.min(maxBackoff.toNanos(), raw);
  }

  /** Builds a {@link RetryPolicy}; {@link #build()} leaves the builder reusable. */
  public static final class Builder {
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private double multiplier = DEFAULT_MULTIPLIER;
    private double jitter = DEFAULT_JITTER;

    private Builder() {}

    /** Deliveries allowed before dead-lettering; default {@value #DEFAULT_MAX_ATTEMPTS}. */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** Delay before the first retry, at most 365 days; default 1 second. */
    public Builder initialBackoff(Duration initialBackoff) {
      this.initialBackoff = initialBackoff;
      return this;
    }

    /** Longest delay, at most 365 days; default 10 minutes. */
    public Builder maxBackoff(Duration maxBackoff) {
      this.maxBackoff = maxBackoff;
      return this;
    }

    /** Growth per failure; default 2.0. */
    public Builder multiplier(double multiplier) {
      this.multiplier = multiplier;
      return this;
    }

    /** Random shortening fraction in [0, 1]; default 0.2. */
    public Builder jitter(double jitter) {
      this.jitter = jitter;
      return this;
    }

    /** @throws InvalidConfigurationException naming every invalid argument */
    public RetryPolicy build() {
      return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, multiplier, jitter);
    }
  }
}
