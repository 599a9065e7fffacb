package dev.workqueue.internal;

import dev.workqueue.InvalidConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Collects every invalid argument of a builder so that {@code build()} reports them all at once. */
public final class Problems {
  /**
   * Longest duration most settings take (timeouts, intervals, backoffs): far beyond any real use,
   * far below the overflow of nanoseconds or milliseconds where the setting is used.
   */
  public static final Duration LONGEST_SETTING = Duration.ofDays(365);
  /** Longest a record is retained or a job delayed: ten years, still far below overflow. */
  public static final Duration LONGEST_RETENTION = Duration.ofDays(3650);

  private final String subject;
  private final List<String> problems = new ArrayList<>();

  public Problems(String subject) {
    this.subject = subject;
  }

  /** Records "{@code param} must be {@code rule}, but was {@code value}" unless {@code valid}. */
  public Problems check(boolean valid, String param, String rule, Object value) {
    if (!valid) {
      problems.add(param + " must be " + rule + ", but was " + describe(value));
    }
    return this;
  }

  public Problems notNull(Object value, String param) {
    return check(value != null, param, "set", null);
  }

  public Problems notBlank(String value, String param) {
    return check(value != null && !value.isBlank(), param, "a non-blank string", value);
  }

  public Problems positive(Duration value, String param) {
    return check(value != null && !value.isNegative() && !value.isZero(), param, "a positive duration", value);
  }

  public Problems notNegative(Duration value, String param) {
    return check(value != null && !value.isNegative(), param, "zero or a positive duration", value);
  }

  /** Records a problem unless {@code min <= value <= max}; {@code rule} states the range in words. */
  public Problems within(Duration value, Duration min, Duration max, String param, String rule) {
    return check(value != null && value.compareTo(min) >= 0 && value.compareTo(max) <= 0, param, rule, value);
  }

  /** Records a problem unless {@code value} is positive and at most {@code max}, a whole number of days. */
  public Problems positiveUpTo(Duration value, Duration max, String param) {
    return within(value, Duration.ofNanos(1), max, param,
        "a positive duration of at most " + max.toDays() + " days");
  }

  public Problems atLeast(long value, long minimum, String param) {
    return check(value >= minimum, param, "at least " + minimum, value);
  }

  public Problems between(double value, double min, double max, String param) {
    return check(value >= min && value <= max, param, "between " + min + " and " + max, value);
  }

  /** Records a problem that does not fit the "must be, but was" form, such as contradictory settings. */
  public Problems add(String problem) {
    problems.add(problem);
    return this;
  }

  public List<String> list() {
    return List.copyOf(problems);
  }

  /**
   * @throws InvalidConfigurationException listing every recorded problem, if there is any
   */
  public void throwIfAny() {
    if (!problems.isEmpty()) {
      throw new InvalidConfigurationException(subject, problems);
    }
  }

  /**
   * How a refused value appears in a message: text quoted, and control characters escaped so that
   * a value from a job or a request cannot forge log lines or drive a terminal.
   */
  public static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof CharSequence text) {
      return "\"" + ControlCharacters.escaped(text.toString()) + "\"";
    }
    return ControlCharacters.escaped(String.valueOf(value));
  }
}
