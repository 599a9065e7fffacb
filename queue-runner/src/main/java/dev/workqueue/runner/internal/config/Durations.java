package dev.workqueue.runner.internal.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes durations the way config files spell them: {@code 500ms}, {@code 30s},
 * {@code 5m}, {@code 1h}, {@code 2d} or ISO-8601.
 */
public final class Durations {
  /** How a valid duration looks, for validation messages. */
  public static final String FORMAT = "a duration such as 500ms, 30s, 5m, 1h or PT30S";

  private static final Pattern SIMPLE = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

  private Durations() {}

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException if it is neither {@code 0}, {@code <digits><unit>} nor ISO-8601
   */
  public static Duration parse(String text) {
    String trimmed = text.trim();
    if (trimmed.equals("0")) {
      return Duration.ZERO;
    }
    Matcher simple = SIMPLE.matcher(trimmed);
    if (simple.matches()) {
      long amount = Long.parseLong(simple.group(1));
      return switch (simple.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      };
    }
    try {
      return Duration.parse(trimmed);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not " + FORMAT + ": " + text, e);
    }
  }

  /** The shortest simple spelling of {@code duration} that {@link #parse} reads back exactly. */
  public static String format(Duration duration) {
    long millis = duration.toMillis();
    if (!Duration.ofMillis(millis).equals(duration)) {
      return duration.toString();
    }
    if (millis == 0 || millis % 1000 != 0) {
      return millis + "ms";
    }
    long seconds = millis / 1000;
    if (seconds % 86_400 == 0) {
      return seconds / 86_400 + "d";
    }
    if (seconds % 3600 == 0) {
      return seconds / 3600 + "h";
    }
    if (seconds % 60 == 0) {
      return seconds / 60 + "m";
    }
    return seconds + "s";
  }
}
