package dev.workqueue.runner.internal;

import dev.workqueue.NewJob;
import dev.workqueue.internal.ControlCharacters;
import dev.workqueue.internal.Problems;
import dev.workqueue.runner.internal.config.Durations;
import dev.workqueue.runner.internal.config.StrictYaml;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads one NDJSON line of the {@code enqueue} command into a job: an object with
 * {@code payload} (a string, taken as UTF-8, or any other JSON value, taken as its compact JSON
 * text) and optionally {@code queue}, {@code priority}, {@code id}, {@code delay} (such as
 * {@code 30s}, up to a year), {@code run_at} (ISO-8601 instant in the years 0000 to 9999),
 * {@code max_attempts}, {@code idempotency_key} and {@code headers} (an object of strings).
 */
public final class JobLines {
  /** The fields a line may have. */
  public static final Set<String> FIELDS = Set.of("payload", "queue", "priority", "id", "delay",
      "run_at", "max_attempts", "idempotency_key", "headers");
  /** What a valid {@code delay} looks like; a job due later takes {@code run_at} instead. */
  public static final String DELAY_RULE = "a duration up to 365d, such as 30s, 5m or 1h";
  /**
   * Most characters a line may hold: 3 MiB, the most the JSON parser reads in one document
   * (snakeyaml's default code point limit), which holds the largest payload a producer takes
   * (1 MiB) written plainly. A longer line is refused by its number before it is held whole.
   */
  public static final int MAX_LINE_CHARS = new LoaderOptions().getCodePointLimit();

  private static final Duration LONGEST_DELAY = Duration.ofDays(365);
  // Run times the backends can store as epoch milliseconds, written as ISO-8601 writes them.
  private static final Instant EARLIEST_RUN_AT = Instant.parse("0000-01-01T00:00:00Z");
  private static final Instant LATEST_RUN_AT = Instant.parse("9999-12-31T23:59:59.999Z");

  private JobLines() {}

  /**
   * Parses {@code line}.
   *
   * @throws IllegalArgumentException saying what is wrong with the line
   */
  public static NewJob parse(String line) {
    Object parsed;
    try {
      parsed = StrictYaml.create().load(line);
    } catch (YAMLException e) {
      // The parser's own message may stop at its context ("while constructing a mapping") without
      // the problem, or quote the line, payload and all.
      throw new IllegalArgumentException("not valid JSON: " + StrictYaml.describe(e));
    }
    if (!(parsed instanceof Map<?, ?> fields)) {
      throw new IllegalArgumentException("must be a JSON object such as {\"payload\": \"...\"}");
    }
    Set<String> unknown = new TreeSet<>();
    fields.keySet().forEach(key -> {
      if (!FIELDS.contains(String.valueOf(key))) {
        unknown.add(String.valueOf(key));
      }
    });
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("unknown fields " + unknown + "; allowed: " + new TreeSet<>(FIELDS));
    }
    Object payload = fields.get("payload");
    if (payload == null) {
      throw new IllegalArgumentException("payload must be set");
    }
    NewJob.Builder job = NewJob.builder(payload instanceof String text ? text : Json.write(payload));
    job.queue(text(fields, "queue"));
    job.priority(text(fields, "priority"));
    job.id(text(fields, "id"));
    job.idempotencyKey(text(fields, "idempotency_key"));
    String delay = text(fields, "delay");
    if (delay != null) {
      job.delay(delay(delay));
    }
    String runAt = text(fields, "run_at");
    if (runAt != null) {
      job.runAt(runAt(runAt));
    }
    Object maxAttempts = fields.get("max_attempts");
    if (maxAttempts != null) {
      if (!(maxAttempts instanceof Integer attempts) || attempts < 1) {
        throw new IllegalArgumentException(
            "max_attempts must be a positive integer, but was " + Problems.describe(maxAttempts));
      }
      job.maxAttempts(attempts);
    }
    Object headers = fields.get("headers");
    if (headers != null) {
      if (!(headers instanceof Map<?, ?> map)) {
        throw new IllegalArgumentException(
            "headers must be an object of strings, but was " + Problems.describe(headers));
      }
      map.forEach((name, value) -> {
        if (!(value instanceof String text)) {
          throw new IllegalArgumentException("headers." + ControlCharacters.escaped(String.valueOf(name))
              + " must be a string, but was " + Problems.describe(value));
        }
        job.header(String.valueOf(name), text);
      });
    }
    return job.build();
  }

  /**
   * Reads a job's delay, of a line or of {@code enqueue --delay}.
   *
   * @throws IllegalArgumentException if {@code text} is not {@value #DELAY_RULE}
   */
  public static Duration delay(String text) {
    try {
      Duration delay = Durations.parse(text);
      if (!delay.isNegative() && delay.compareTo(LONGEST_DELAY) <= 0) {
        return delay;
      }
    } catch (IllegalArgumentException e) {
      // unreadable: reported with the rule, as a value out of range is
    }
    throw new IllegalArgumentException(
        "delay must be " + DELAY_RULE + ", but was " + Problems.describe(text));
  }

  private static Instant runAt(String text) {
    try {
      Instant runAt = Instant.parse(text);
      if (!runAt.isBefore(EARLIEST_RUN_AT) && !runAt.isAfter(LATEST_RUN_AT)) {
        return runAt;
      }
    } catch (DateTimeParseException e) {
      // unreadable: reported with the rule, as a time out of range is
    }
    throw new IllegalArgumentException("run_at must be an ISO-8601 instant in the years 0000 to 9999, "
        + "such as 2030-01-01T00:00:00Z, but was " + Problems.describe(text));
  }

  private static String text(Map<?, ?> fields, String name) {
    Object value = fields.get(name);
    if (value == null) {
      return null;
    }
    if (value instanceof Map<?, ?> || value instanceof List<?>) {
      throw new IllegalArgumentException(name + " must be a string, but was " + Json.write(value));
    }
    return value.toString();
  }
}
