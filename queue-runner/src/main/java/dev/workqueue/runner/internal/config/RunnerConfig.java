package dev.workqueue.runner.internal.config;

import dev.workqueue.redis.internal.RedisUrl;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The runner's validated configuration: one value per {@link ConfigKey}, from the file, the
 * environment or the key's default. Immutable.
 */
public final class RunnerConfig {
  /** Shown in place of a secret. */
  public static final String REDACTED = RedisUrl.REDACTED;

  private final Map<ConfigKey<?>, Object> values;
  private final Set<ConfigKey<?>> explicit;

  RunnerConfig(Map<ConfigKey<?>, Object> values, Set<ConfigKey<?>> explicit) {
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.explicit = Set.copyOf(explicit);
  }

  /** A configuration with every key at its default. */
  public static RunnerConfig defaults() {
    return ConfigLoader.load(null, Map.of());
  }

  /** The value of {@code key}: as configured, else its default, which may be null. */
  @SuppressWarnings("unchecked")
  public <T> T get(ConfigKey<T> key) {
    return (T) values.get(key);
  }

  /** Whether the file or the environment set {@code key}. */
  public boolean isSet(ConfigKey<?> key) {
    return explicit.contains(key);
  }

  /** The keys that configure a Redis, for messages that ask for one. */
  public static final String REDIS_KEYS =
      "redis.url, redis.sentinel.master with redis.sentinel.nodes, or redis.cluster.nodes";

  /** Where the jobs live. */
  public enum RedisTopology {
    /** No Redis configured: the in-memory backend of this process. */
    NONE,
    /** One server at {@code redis.url}. */
    STANDALONE,
    /** The master that the Sentinels of {@code redis.sentinel.nodes} name. */
    SENTINEL,
    /** The Redis Cluster that {@code redis.cluster.nodes} belong to. */
    CLUSTER
  }

  /** Which Redis the configuration names; the loader allows at most one. */
  public RedisTopology redisTopology() {
    if (get(ConfigKeys.REDIS_URL) != null) {
      return RedisTopology.STANDALONE;
    }
    if (get(ConfigKeys.REDIS_SENTINEL_MASTER) != null) {
      return RedisTopology.SENTINEL;
    }
    return get(ConfigKeys.REDIS_CLUSTER_NODES) != null ? RedisTopology.CLUSTER : RedisTopology.NONE;
  }

  /** Whether jobs live in Redis rather than in this process's memory. */
  public boolean usesRedis() {
    return redisTopology() != RedisTopology.NONE;
  }

  /**
   * The configuration as nested maps, ready to print as YAML: secrets replaced by
   * {@value #REDACTED}, passwords in URLs too, durations and paths as text.
   */
  public Map<String, Object> redactedTree() {
    Map<String, Object> root = new LinkedHashMap<>();
    for (ConfigKey<?> key : ConfigKeys.all()) {
      Object value = values.get(key);
      if (value == null) {
        continue;
      }
      String[] parts = key.path().split("\\.");
      Map<String, Object> node = root;
      for (int i = 0; i < parts.length - 1; i++) {
        @SuppressWarnings("unchecked")
        Map<String, Object> child = (Map<String, Object>) node.computeIfAbsent(parts[i],
            ignored -> new LinkedHashMap<String, Object>());
        node = child;
      }
      node.put(parts[parts.length - 1], printable(key, value));
    }
    return root;
  }

  /** How {@code value} of {@code key} may be shown to a person or a log. */
  private static Object printable(ConfigKey<?> key, Object value) {
    if (key.secret()) {
      return REDACTED;
    }
    if (value instanceof URI uri) {
      return Redaction.redactUrlValue(uri.toString());
    }
    if (value instanceof Duration duration) {
      return Durations.format(duration);
    }
    if (value instanceof Path || value instanceof ZoneId) {
      return value.toString();
    }
    if (value instanceof List<?> list) {
      return List.copyOf(list);
    }
    if (key == ConfigKeys.RECURRING_ENTRIES) {
      Map<String, Object> entries = new LinkedHashMap<>();
      ((Map<?, ?>) value).forEach(
          (name, entry) -> entries.put((String) name, ((RecurringEntry) entry).printable()));
      return entries;
    }
    return value;
  }
}
