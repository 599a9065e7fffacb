package dev.workqueue.runner.internal.config;

import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.internal.Problems;
import dev.workqueue.metrics.micrometer.MicrometerQueueObserver;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads the runner's configuration from one YAML file and the environment, and validates all of
 * it before anything is built. Every environment variable {@code WORKQUEUE_<PATH>} (the key's
 * path upper-cased, dots as underscores) overrides the file. Every problem — unknown keys, bad
 * values, contradictions — is collected and reported at once.
 */
public final class ConfigLoader {
  /** Environment variables the exec handler sets for its commands; never configuration. */
  public static final Set<String> JOB_ENVIRONMENT =
      Set.of("WORKQUEUE_JOB_ID", "WORKQUEUE_QUEUE", "WORKQUEUE_PRIORITY", "WORKQUEUE_ATTEMPT");

  /** The keys that name a Redis to use; one way at most. */
  private static final List<ConfigKey<?>> REDIS_TOPOLOGY_KEYS = List.of(ConfigKeys.REDIS_URL,
      ConfigKeys.REDIS_SENTINEL_MASTER, ConfigKeys.REDIS_SENTINEL_NODES, ConfigKeys.REDIS_CLUSTER_NODES);

  private ConfigLoader() {}

  /**
   * Loads and validates.
   *
   * @param file the YAML file, or null to use only the environment and defaults
   * @param environment the process environment
   * @throws InvalidConfigurationException listing every problem, each with its key path
   */
  public static RunnerConfig load(Path file, Map<String, String> environment) {
    Problems problems = new Problems("configuration");
    Map<ConfigKey<?>, Setting> settings = new LinkedHashMap<>();
    if (file != null) {
      readFile(file, settings, problems);
    }
    readEnvironment(environment, settings, problems);

    Map<ConfigKey<?>, Object> values = new LinkedHashMap<>();
    for (ConfigKey<?> key : ConfigKeys.all()) {
      Setting setting = settings.get(key);
      if (setting == null) {
        values.put(key, key.defaultValue());
        continue;
      }
      if (setting.envName() == null && key.shape() != null
          && !(setting.raw() instanceof List<?> || setting.raw() instanceof Map<?, ?>)) {
        // A scalar here would be read as the environment's one-string spelling of a list or mapping.
        problems.check(false, setting.where(key), key.shape() + ", not a single value",
            shown(key, setting.raw()));
        continue;
      }
      try {
        values.put(key, key.read(setting.raw()));
      } catch (ConfigKey.InvalidParts e) {
        e.parts().forEach(part ->
            problems.check(false, setting.where(key, part.path()), part.rule(), shown(key, part.value())));
      } catch (IllegalArgumentException e) {
        problems.check(false, setting.where(key), key.rule(), shown(key, setting.raw()));
      }
    }
    checkTogether(values, settings, problems);
    checkPasswordWithUser(values, settings, problems);
    problems.throwIfAny();
    values.computeIfAbsent(ConfigKeys.PRODUCER_BURST,
        burst -> ConfigKeys.defaultBurst((Double) values.get(ConfigKeys.PRODUCER_RATE_LIMIT_PER_SEC)));
    return new RunnerConfig(values, settings.keySet());
  }

  private record Setting(Object raw, String envName) {
    String where(ConfigKey<?> key) {
      return where(key, "");
    }

    /** The path of {@code entry} (such as {@code .csv}) of the key's mapping, then where it was set. */
    String where(ConfigKey<?> key, String entry) {
      return envName == null ? key.path() + entry : key.path() + entry + " (set by " + envName + ")";
    }
  }

  /** Why {@code file} cannot be read, in words: for the common cases the JDK's message is the path. */
  private static String unreadable(Path file, IOException failure) {
    String reason;
    if (failure instanceof NoSuchFileException) {
      reason = "no such file";
    } else if (failure instanceof AccessDeniedException) {
      reason = "permission denied";
    } else if (failure instanceof CharacterCodingException) {
      reason = "it is not UTF-8 text";
    } else {
      reason = failure.getMessage();
    }
    return "config file " + file + " cannot be read: " + reason;
  }

  private static void readFile(Path file, Map<ConfigKey<?>, Setting> settings, Problems problems) {
    Object root;
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      root = StrictYaml.create().load(reader);
    } catch (IOException e) {
      problems.add(unreadable(file, e));
      return;
    } catch (YAMLException e) {
      // The parser wraps what fails while it reads, such as a directory or bytes that are not UTF-8.
      problems.add(e.getCause() instanceof IOException failure ? unreadable(file, failure)
          : "config file " + file + " is not valid YAML: " + StrictYaml.describe(e));
      return;
    }
    if (root == null) {
      return;
    }
    if (!(root instanceof Map<?, ?> map)) {
      problems.check(false, "config file " + file, "a mapping of keys such as worker: or redis:",
          oneLine(String.valueOf(root)));
      return;
    }
    walk("", map, settings, problems);
  }

  private static void walk(String prefix, Map<?, ?> node, Map<ConfigKey<?>, Setting> settings,
      Problems problems) {
    for (Map.Entry<?, ?> entry : node.entrySet()) {
      String path = prefix + entry.getKey();
      Object value = entry.getValue();
      var key = ConfigKeys.byPath(path);
      if (key.isPresent()) {
        if (value != null) {
          settings.put(key.get(), new Setting(value, null));
        }
        continue;
      }
      Set<String> children = childrenOf(path);
      if (children.isEmpty()) {
        String parent = prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
        problems.add(path + " is not a known key; known keys " + (parent.isEmpty() ? "at the top level"
            : "under " + parent) + ": " + String.join(", ", childrenOf(parent)));
      } else if (value instanceof Map<?, ?> child) {
        walk(path + ".", child, settings, problems);
      } else if (value != null) {
        problems.check(false, path, "a section with keys " + children, oneLine(String.valueOf(value)));
      }
    }
  }

  /** The names one level below {@code path} ("" for the top level), sorted. */
  private static Set<String> childrenOf(String path) {
    String prefix = path.isEmpty() ? "" : path + ".";
    Set<String> children = new TreeSet<>();
    for (ConfigKey<?> key : ConfigKeys.all()) {
      if (key.path().startsWith(prefix)) {
        children.add(key.path().substring(prefix.length()).split("\\.")[0]);
      }
    }
    return children;
  }

  private static void readEnvironment(Map<String, String> environment,
      Map<ConfigKey<?>, Setting> settings, Problems problems) {
    for (Map.Entry<String, String> variable : new TreeMap<>(environment).entrySet()) {
      String name = variable.getKey();
      if (!name.startsWith(ConfigKey.ENV_PREFIX) || JOB_ENVIRONMENT.contains(name)) {
        continue;
      }
      var key = ConfigKeys.byEnvName(name);
      if (key.isEmpty()) {
        problems.add("environment variable " + name + " is not a known key; see docs/runner.md for "
            + "the WORKQUEUE_* names");
      } else if (!variable.getValue().isEmpty()) {
        settings.put(key.get(), new Setting(variable.getValue(), name));
      }
    }
  }

  private static void checkTogether(Map<ConfigKey<?>, Object> values,
      Map<ConfigKey<?>, Setting> settings, Problems problems) {
    @SuppressWarnings("unchecked")
    List<String> priorities = (List<String>) values.get(ConfigKeys.QUEUE_PRIORITIES);
    // Invalid priorities are reported already; the keys that name one are checked against them
    // only when they are valid, but every other check still runs.
    if (priorities != null) {
      checkPrioritiesNamed(priorities, values, settings, problems);
    }
    if ("exec".equals(values.get(ConfigKeys.WORKER_HANDLER))
        && values.get(ConfigKeys.WORKER_EXEC_COMMAND) == null
        && !settings.containsKey(ConfigKeys.WORKER_EXEC_COMMAND)) {
      problems.check(false, ConfigKeys.WORKER_EXEC_COMMAND.path(),
          "set when worker.handler is exec: " + ConfigKeys.WORKER_EXEC_COMMAND.rule(), null);
    }
    Duration initial = (Duration) values.get(ConfigKeys.WORKER_RETRY_INITIAL_BACKOFF);
    Duration max = (Duration) values.get(ConfigKeys.WORKER_RETRY_MAX_BACKOFF);
    if (initial != null && max != null && max.compareTo(initial) < 0) {
      problems.check(false, where(ConfigKeys.WORKER_RETRY_MAX_BACKOFF, settings),
          "at least worker.retry.initial_backoff (" + Durations.format(initial) + ")",
          Durations.format(max));
    }
    checkRedisTopology(settings, problems);
    Integer replicas = (Integer) values.get(ConfigKeys.REDIS_WAIT_FOR_REPLICAS);
    Duration replicaWait = (Duration) values.get(ConfigKeys.REDIS_WAIT_FOR_REPLICAS_TIMEOUT);
    Duration socketTimeout = (Duration) values.get(ConfigKeys.REDIS_SOCKET_TIMEOUT);
    if (replicas != null && replicas > 0 && replicaWait != null && socketTimeout != null
        && replicaWait.compareTo(socketTimeout) >= 0) {
      problems.check(false, where(ConfigKeys.REDIS_WAIT_FOR_REPLICAS_TIMEOUT, settings),
          "shorter than redis.socket_timeout (" + Durations.format(socketTimeout) + ")",
          Durations.format(replicaWait));
    }
    checkQueueTagsNotFolded(values, settings, problems);
    if ("redis".equals(values.get(ConfigKeys.PRODUCER_RATE_LIMITER))
        && REDIS_TOPOLOGY_KEYS.stream().noneMatch(settings::containsKey)) {
      problems.check(false, where(ConfigKeys.PRODUCER_RATE_LIMITER, settings),
          "local when no Redis is configured (" + RunnerConfig.REDIS_KEYS + ")", "redis");
    }
  }

  /** A listed queue named like a tag value of folded queues would show their figures as its own. */
  private static void checkQueueTagsNotFolded(Map<ConfigKey<?>, Object> values,
      Map<ConfigKey<?>, Setting> settings, Problems problems) {
    @SuppressWarnings("unchecked")
    List<String> tags = (List<String>) values.get(ConfigKeys.METRICS_QUEUE_TAGS);
    Integer buckets = (Integer) values.get(ConfigKeys.METRICS_FOLDED_QUEUE_BUCKETS);
    if (tags == null || buckets == null) {
      return;
    }
    List<String> folded = MicrometerQueueObserver.foldedQueueTagValues(buckets);
    if (tags.stream().anyMatch(folded::contains)) {
      String foldValues = folded.size() == 1 ? "\"" + folded.get(0) + "\", the tag value"
          : "\"" + folded.get(0) + "\" to \"" + folded.get(folded.size() - 1) + "\", the tag values";
      problems.check(false, where(ConfigKeys.METRICS_QUEUE_TAGS, settings), "queue names other than "
          + foldValues + " of folded queues (metrics.folded_queue_buckets: " + buckets + ")", tags);
    }
  }

  /** The keys that name a priority or a lane name one of {@code priorities}. */
  private static void checkPrioritiesNamed(List<String> priorities, Map<ConfigKey<?>, Object> values,
      Map<ConfigKey<?>, Setting> settings, Problems problems) {
    Object defaultPriority = values.get(ConfigKeys.PRODUCER_DEFAULT_PRIORITY);
    if (defaultPriority != null && !priorities.contains(defaultPriority)) {
      problems.check(false, where(ConfigKeys.PRODUCER_DEFAULT_PRIORITY, settings),
          "one of queue.priorities " + priorities, defaultPriority);
    }
    @SuppressWarnings("unchecked")
    Map<String, String> byExtension =
        (Map<String, String>) values.get(ConfigKeys.PRODUCER_SOURCE_PRIORITY_BY_EXTENSION);
    if (byExtension != null) {
      byExtension.forEach((extension, priority) -> {
        if (!priorities.contains(priority)) {
          problems.check(false, where(ConfigKeys.PRODUCER_SOURCE_PRIORITY_BY_EXTENSION, "." + extension,
              settings), "one of queue.priorities " + priorities, priority);
        }
      });
    }
    @SuppressWarnings("unchecked")
    Map<String, RecurringEntry> recurring =
        (Map<String, RecurringEntry>) values.get(ConfigKeys.RECURRING_ENTRIES);
    Object queue = values.get(ConfigKeys.QUEUE_NAME);
    if (recurring != null && queue != null) {
      // This runner's consumers serve only these lanes; another queue's consumers have their own.
      recurring.forEach((name, entry) -> {
        boolean ownQueue = entry.queue() == null || entry.queue().equals(queue);
        if (ownQueue && entry.priority() != null && !priorities.contains(entry.priority())) {
          problems.check(false, where(ConfigKeys.RECURRING_ENTRIES, "." + name + ".priority", settings),
              "one of queue.priorities " + priorities + " for a job to queue.name", entry.priority());
        }
      });
    }
    @SuppressWarnings("unchecked")
    Map<String, Integer> weights = (Map<String, Integer>) values.get(ConfigKeys.QUEUE_WEIGHTS);
    if (weights != null) {
      // Such a weight would be ignored: most likely a misspelt lane whose real weight is missing.
      weights.keySet().stream().filter(lane -> !priorities.contains(lane)).forEach(lane -> problems.add(
          where(ConfigKeys.QUEUE_WEIGHTS, "." + lane, settings) + " is not a lane of queue.priorities "
              + priorities));
    }
    if ("weighted".equals(values.get(ConfigKeys.QUEUE_PRIORITY_MODE)) && weights != null) {
      for (String priority : priorities) {
        if (!weights.containsKey(priority)) {
          problems.check(false, where(ConfigKeys.QUEUE_WEIGHTS, "." + priority, settings),
              "a positive weight for every priority when queue.priority_mode is weighted", null);
        }
      }
    }
  }

  /**
   * At most one way to reach Redis, Sentinel's two keys only together, and the Sentinels'
   * credentials only with them.
   */
  private static void checkRedisTopology(Map<ConfigKey<?>, Setting> settings, Problems problems) {
    boolean url = settings.containsKey(ConfigKeys.REDIS_URL);
    boolean master = settings.containsKey(ConfigKeys.REDIS_SENTINEL_MASTER);
    boolean sentinels = settings.containsKey(ConfigKeys.REDIS_SENTINEL_NODES);
    boolean cluster = settings.containsKey(ConfigKeys.REDIS_CLUSTER_NODES);
    if (master != sentinels) {
      ConfigKey<?> missing = master ? ConfigKeys.REDIS_SENTINEL_NODES : ConfigKeys.REDIS_SENTINEL_MASTER;
      ConfigKey<?> given = master ? ConfigKeys.REDIS_SENTINEL_MASTER : ConfigKeys.REDIS_SENTINEL_NODES;
      problems.check(false, missing.path(), "set together with " + where(given, settings) + ": "
          + missing.rule(), null);
    }
    if (!master && !sentinels) {
      for (ConfigKey<?> credential
          : List.of(ConfigKeys.REDIS_SENTINEL_USERNAME, ConfigKeys.REDIS_SENTINEL_PASSWORD)) {
        if (settings.containsKey(credential)) {
          problems.add(where(credential, settings) + " applies only to Sentinels; set "
              + ConfigKeys.REDIS_SENTINEL_MASTER.path() + " and " + ConfigKeys.REDIS_SENTINEL_NODES.path()
              + " or remove it");
        }
      }
    }
    int ways = (url ? 1 : 0) + (master || sentinels ? 1 : 0) + (cluster ? 1 : 0);
    if (ways > 1) {
      List<String> given = REDIS_TOPOLOGY_KEYS.stream().filter(settings::containsKey)
          .map(key -> where(key, settings)).toList();
      problems.add("Redis is configured more than one way (" + String.join(", ", given)
          + "); set only one of " + RunnerConfig.REDIS_KEYS);
    }
  }

  /**
   * A user name only with a password: Jedis sends no AUTH for a user alone, so the runner would
   * silently work as Redis's {@code default} user, and in a URL a lone user is read as a password.
   */
  private static void checkPasswordWithUser(Map<ConfigKey<?>, Object> values,
      Map<ConfigKey<?>, Setting> settings, Problems problems) {
    URI url = (URI) values.get(ConfigKeys.REDIS_URL);
    boolean urlHasPassword = url != null && url.getUserInfo() != null && url.getUserInfo().contains(":");
    if (values.get(ConfigKeys.REDIS_USERNAME) != null && values.get(ConfigKeys.REDIS_PASSWORD) == null
        && !urlHasPassword) {
      problems.add(where(ConfigKeys.REDIS_USERNAME, settings) + " needs a password: set "
          + ConfigKeys.REDIS_PASSWORD.path() + " (or user:password in redis.url)");
    }
    if (values.get(ConfigKeys.REDIS_SENTINEL_USERNAME) != null
        && values.get(ConfigKeys.REDIS_SENTINEL_PASSWORD) == null) {
      problems.add(where(ConfigKeys.REDIS_SENTINEL_USERNAME, settings) + " needs a password: set "
          + ConfigKeys.REDIS_SENTINEL_PASSWORD.path());
    }
  }

  private static String where(ConfigKey<?> key, Map<ConfigKey<?>, Setting> settings) {
    return where(key, "", settings);
  }

  private static String where(ConfigKey<?> key, String entry, Map<ConfigKey<?>, Setting> settings) {
    Setting setting = settings.get(key);
    return setting == null ? key.path() + entry : setting.where(key, entry);
  }

  private static Object shown(ConfigKey<?> key, Object raw) {
    if (key.secret()) {
      return RunnerConfig.REDACTED;
    }
    if (key == ConfigKeys.REDIS_SENTINEL_NODES || key == ConfigKeys.REDIS_CLUSTER_NODES) {
      // A node has no user information; one written there as in a URL may hold a password.
      if (raw instanceof List<?> nodes) {
        return nodes.stream().map(node -> Redaction.redactUserInfo(String.valueOf(node))).toList();
      }
      return oneLine(Arrays.stream(String.valueOf(raw).split(",", -1)).map(Redaction::redactUserInfo)
          .collect(Collectors.joining(",")));
    }
    if (raw instanceof String text) {
      return oneLine(Redaction.redactUrlValue(text));
    }
    // Shown unquoted as before, but cut short like text: an entry may hold a payload of a megabyte.
    boolean structured = raw instanceof Map<?, ?> || raw instanceof List<?>;
    return structured ? new Unquoted(oneLine(String.valueOf(raw))) : raw;
  }

  /** Text that error messages show as it is, without the quotes they put around strings. */
  private record Unquoted(String text) {
    @Override
    public String toString() {
      return text;
    }
  }

  private static String oneLine(String text) {
    String flat = text == null ? "null" : text.replaceAll("\\s*\\R\\s*", " ").trim();
    return flat.length() > 200 ? flat.substring(0, 200) + "..." : flat;
  }
}
