package dev.workqueue.runner.internal.config;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One configuration key: its dotted path, the environment variable that overrides it, its
 * default, how a raw YAML or environment value is read, and the rule shown when a value is
 * invalid.
 *
 * @param <T> the type of the value once read
 */
public final class ConfigKey<T> {
  /** Prefix of every environment variable that overrides a key. */
  public static final String ENV_PREFIX = "WORKQUEUE_";

  private final String path;
  private final String rule;
  private final T defaultValue;
  private final Reader<T> reader;
  private final boolean secret;
  private final String shape;
  private final String description;

  /**
   * Turns a raw YAML value (a scalar, list or mapping) or an environment string (lists
   * comma-separated, mappings as comma-separated {@code key=value}) into a value.
   */
  @FunctionalInterface
  public interface Reader<T> {
    /**
     * Reads {@code raw}.
     *
     * @throws IllegalArgumentException if the value breaks the key's rule
     */
    T read(Object raw);
  }

  /**
   * Thrown by a {@link Reader} when parts of a mapping's value break their rules, so that each is
   * reported with its own path (the key's path followed by {@link Part#path()}), rule and value.
   */
  public static final class InvalidParts extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** One invalid part: its path below the key, such as {@code .nightly.schedule}. */
    public record Part(String path, String rule, Object value) {}

    private final transient List<Part> parts;

    /** @param parts at least one invalid part */
    public InvalidParts(List<Part> parts) {
      super(parts.size() + " invalid parts");
      this.parts = List.copyOf(parts);
    }

    /** The invalid parts, in the order they were found. */
    public List<Part> parts() {
      return parts;
    }
  }

  ConfigKey(String path, boolean secret, String shape, String rule, T defaultValue, Reader<T> reader,
      String description) {
    this.path = Objects.requireNonNull(path, "path");
    this.secret = secret;
    this.shape = shape;
    this.rule = Objects.requireNonNull(rule, "rule");
    this.defaultValue = defaultValue;
    this.reader = Objects.requireNonNull(reader, "reader");
    this.description = Objects.requireNonNull(description, "description");
  }

  /** The dotted path, for example {@code worker.concurrency}. */
  public String path() {
    return path;
  }

  /** The overriding environment variable: {@code WORKQUEUE_} + path upper-cased, dots as underscores. */
  public String envName() {
    return ENV_PREFIX + path.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  /** What a valid value looks like, completing "must be ...". */
  public String rule() {
    return rule;
  }

  /** The value used when neither the file nor the environment sets the key; may be null. */
  public T defaultValue() {
    return defaultValue;
  }

  /** Whether the value is a password or token, never to be printed or logged. */
  public boolean secret() {
    return secret;
  }

  /**
   * What a value in the YAML file must be, such as {@code a YAML list such as [a, b]}, or null when
   * a scalar will do; the environment spells lists and mappings as one string.
   */
  public String shape() {
    return shape;
  }

  /** One sentence saying what the key does, for docs and the printed config. */
  public String description() {
    return description;
  }

  T read(Object raw) {
    return reader.read(raw);
  }

  @Override
  public String toString() {
    return path;
  }
}
