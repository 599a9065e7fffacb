package dev.workqueue.runner.internal.config;

import dev.workqueue.CircuitBreakerConfig;
import dev.workqueue.JobHandler;
import dev.workqueue.Producer;
import dev.workqueue.internal.Names;
import dev.workqueue.metrics.micrometer.MicrometerQueueObserver;
import dev.workqueue.runner.internal.CronTriggers;
import dev.workqueue.runner.internal.config.ConfigKey.InvalidParts.Part;
import dev.workqueue.runner.internal.config.ConfigKey.Reader;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import redis.clients.jedis.HostAndPort;

/** Every key the runner's configuration accepts, with its default and rule. */
public final class ConfigKeys {
  /** Built-in handler names; any other value of {@code worker.handler} names a class. */
  public static final List<String> BUILT_IN_HANDLERS = List.of("log", "exec", "files");

  private static final List<ConfigKey<?>> KEYS = new ArrayList<>();
  /** Longest duration any key takes; the engine refuses longer ones, whose nanoseconds could overflow. */
  private static final Duration LONGEST_DURATION = Duration.ofDays(365);
  private static final String POSITIVE_DURATION =
      "a positive duration up to 365d, such as 500ms, 30s, 5m or 1h";
  private static final String REDIS_TIMEOUT = "a duration from 1ms to 1h, such as 500ms or 5s";
  private static final String HOST_PORTS =
      "a non-empty list of host:port, such as [10.0.0.1:26379, 10.0.0.2:26379]";
  private static final String NON_NEGATIVE_DURATION =
      "zero or a positive duration up to 365d, such as 0, 500ms, 30s or 5m";
  // In the environment's spelling of a mapping: a comma before the next "key=", and commas at the
  // ends of a pair.
  private static final Pattern ENV_PAIR_SEPARATOR = Pattern.compile(",(?=[^,=]*=)");
  private static final Pattern STRAY_COMMAS = Pattern.compile("^[\\s,]+|[\\s,]+$");
  private static final List<String> RECURRING_FIELDS = List.of("schedule", "queue", "priority", "payload");
  // Underscores too: container platforms hand out such names and resolve them.
  private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");
  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  // Nine digits at most, so that the number fits an int.
  private static final Pattern DATABASE_PATH = Pattern.compile("(/\\d{0,9})?");
  private static final Pattern IPV6_CHARACTERS = Pattern.compile("[0-9A-Fa-f.:]*:[0-9A-Fa-f.:]*");

  public static final ConfigKey<URI> REDIS_URL = add("redis.url",
      "a URL such as redis://host:6379 or rediss://host:6380/0 (port 1 to 65535, path only a DB "
          + "number, no query)", null, redisUrl(),
      "Redis server; with no Redis configured at all the runner uses the in-memory backend "
          + "(one process only).");
  public static final ConfigKey<String> REDIS_USERNAME = add("redis.username",
      "a non-blank string", null, text(),
      "Redis ACL user, with redis.password or a password in redis.url; overrides a user in redis.url.");
  public static final ConfigKey<String> REDIS_PASSWORD = secret("redis.password",
      "Redis password; overrides one in redis.url. Never printed.");
  public static final ConfigKey<Duration> REDIS_CONNECT_TIMEOUT = add("redis.connect_timeout",
      REDIS_TIMEOUT, Duration.ofSeconds(2), redisTimeout(),
      "Longest wait for a TCP connection to Redis.");
  public static final ConfigKey<Duration> REDIS_SOCKET_TIMEOUT = add("redis.socket_timeout",
      REDIS_TIMEOUT, Duration.ofSeconds(5), redisTimeout(),
      "Longest wait for a Redis reply (blocking fetches add their own wait to it).");
  public static final ConfigKey<Integer> REDIS_POOL_SIZE = add("redis.pool_size",
      "an integer from 1 to 1024", 16, integer(1, 1024),
      "Connections per pool: up to this many for commands and as many again for blocked idle "
          + "fetches; a `redis` rate limiter opens its own.");
  public static final ConfigKey<Integer> REDIS_WAIT_FOR_REPLICAS = add("redis.wait_for_replicas",
      "an integer from 0 to 16", 0, integer(0, 16),
      "Replicas that must hold an enqueue's jobs before it counts as stored (Redis WAIT), so a "
          + "failover cannot lose them; 0: do not wait.");
  public static final ConfigKey<Duration> REDIS_WAIT_FOR_REPLICAS_TIMEOUT = add(
      "redis.wait_for_replicas_timeout", REDIS_TIMEOUT + ", shorter than redis.socket_timeout",
      Duration.ofSeconds(1), redisTimeout(),
      "Longest an enqueue waits for those replicas before it fails as unavailable.");
  public static final ConfigKey<String> REDIS_SENTINEL_MASTER = add("redis.sentinel.master",
      "a non-blank string", null, text(),
      "Master name that Sentinel monitors; with redis.sentinel.nodes, instead of redis.url.");
  public static final ConfigKey<List<String>> REDIS_SENTINEL_NODES = addList("redis.sentinel.nodes",
      HOST_PORTS, null, hostPorts(), "Sentinels that name the current master.");
  public static final ConfigKey<String> REDIS_SENTINEL_USERNAME = add("redis.sentinel.username",
      "a non-blank string", null, text(),
      "ACL user for the Sentinels themselves, with redis.sentinel.password, when they require one; "
          + "redis.username is the master's.");
  public static final ConfigKey<String> REDIS_SENTINEL_PASSWORD = secret("redis.sentinel.password",
      "Password for the Sentinels themselves, when they require one; redis.password is the master's. "
          + "Never printed.");
  public static final ConfigKey<List<String>> REDIS_CLUSTER_NODES = addList("redis.cluster.nodes",
      HOST_PORTS, null, hostPorts(),
      "Redis Cluster nodes to discover the cluster from, instead of redis.url.");

  public static final ConfigKey<String> QUEUE_NAME = add("queue.name",
      Names.RULE, Producer.DEFAULT_QUEUE, name(), "Queue that workers serve and producers fill.");
  public static final ConfigKey<List<String>> QUEUE_PRIORITIES = addList("queue.priorities",
      "a non-empty list of distinct names of " + Names.RULE, List.of("high", "default", "low"),
      names(false), "Priority lanes, highest first.");
  public static final ConfigKey<String> QUEUE_PRIORITY_MODE = add("queue.priority_mode",
      "one of strict, weighted", "strict", oneOf("strict", "weighted"),
      "strict: a waiting higher lane always goes first; weighted: lanes share fetches by weight.");
  public static final ConfigKey<Map<String, Integer>> QUEUE_WEIGHTS = addMap("queue.weights",
      "a mapping of priority name to a positive integer", Map.of(), weights(),
      "Weight per priority lane when queue.priority_mode is weighted.");
  public static final ConfigKey<Integer> QUEUE_DEAD_LETTER_LIMIT = add("queue.dead_letter_limit",
      "an integer from 0 to " + Integer.MAX_VALUE, null, integer(0, Integer.MAX_VALUE),
      "Most dead letters kept per queue; past it, a new dead letter deletes the oldest; 0 keeps none. "
          + "Unset keeps them all.");
  public static final ConfigKey<Duration> QUEUE_DEAD_LETTER_AGE = add("queue.dead_letter_age",
      POSITIVE_DURATION, null, positiveDuration(),
      "Longest a dead letter is kept, from when its job was dead-lettered. Unset keeps them until "
          + "purged or requeued.");

  public static final ConfigKey<String> WORKER_NAME = add("worker.name",
      Names.RULE, "worker", name(), "Consumer name used in thread names, logs and events.");
  public static final ConfigKey<Integer> WORKER_CONCURRENCY = add("worker.concurrency",
      "an integer from 1 to 1024", 4, integer(1, 1024), "Worker threads: the most jobs in flight.");
  public static final ConfigKey<String> WORKER_HANDLER = add("worker.handler",
      "one of log, exec, files, or the name of a public class implementing "
          + JobHandler.class.getName() + " with a public no-argument constructor",
      "files", handler(), "What processes each job.");
  public static final ConfigKey<Duration> WORKER_JOB_TIMEOUT = add("worker.job_timeout",
      POSITIVE_DURATION, Duration.ofMinutes(5), positiveDuration(),
      "Longest a handler may run before it is interrupted and the attempt fails.");
  public static final ConfigKey<Duration> WORKER_LEASE = add("worker.lease",
      "a duration from 100ms to 365d, such as 30s", Duration.ofSeconds(30),
      duration(d -> d.toMillis() >= 100), "How long a taken job stays leased without a heartbeat.");
  public static final ConfigKey<Duration> WORKER_DRAIN_TIMEOUT = add("worker.drain_timeout",
      NON_NEGATIVE_DURATION, Duration.ofSeconds(30), nonNegativeDuration(),
      "On shutdown, how long in-flight jobs may finish before they are returned to the queue.");
  public static final ConfigKey<Integer> WORKER_RETRY_MAX_ATTEMPTS = add(
      "worker.retry.max_attempts", "an integer from 1 to 1000", 5, integer(1, 1000),
      "Deliveries before a failing job goes to the dead-letter queue.");
  public static final ConfigKey<Duration> WORKER_RETRY_INITIAL_BACKOFF = add(
      "worker.retry.initial_backoff", POSITIVE_DURATION, Duration.ofSeconds(1),
      positiveDuration(), "Delay before the first retry.");
  public static final ConfigKey<Duration> WORKER_RETRY_MAX_BACKOFF = add("worker.retry.max_backoff",
      POSITIVE_DURATION, Duration.ofMinutes(10), positiveDuration(),
      "Longest delay between retries.");
  public static final ConfigKey<Double> WORKER_RETRY_MULTIPLIER = add("worker.retry.multiplier",
      "a number from 1 to 100", 2.0, decimal(1, 100), "Backoff growth per failure.");
  public static final ConfigKey<Double> WORKER_RETRY_JITTER = add("worker.retry.jitter",
      "a number from 0 to 1", 0.2, decimal(0, 1),
      "Share by which a backoff may be randomly shortened.");
  public static final ConfigKey<Boolean> WORKER_CIRCUIT_BREAKER_ENABLED = add(
      "worker.circuit_breaker.enabled", "true or false", false, bool(),
      "Stop fetching while too many attempts fail, then probe with one job.");
  public static final ConfigKey<Double> WORKER_CIRCUIT_BREAKER_FAILURE_RATE = add(
      "worker.circuit_breaker.failure_rate", "a number greater than 0 and at most 1",
      CircuitBreakerConfig.DEFAULT_FAILURE_RATE_THRESHOLD, decimal(Double.MIN_VALUE, 1),
      "Share of failed attempts in the window that opens the breaker.");
  public static final ConfigKey<Duration> WORKER_CIRCUIT_BREAKER_WINDOW = add(
      "worker.circuit_breaker.window", "a duration from 10ms to 365d, such as 60s",
      CircuitBreakerConfig.DEFAULT_WINDOW,
      duration(d -> d.toMillis() >= 10), "Rolling window of attempt outcomes.");
  public static final ConfigKey<Integer> WORKER_CIRCUIT_BREAKER_MINIMUM_SAMPLES = add(
      "worker.circuit_breaker.minimum_samples", "an integer from 1 to 1000000",
      CircuitBreakerConfig.DEFAULT_MINIMUM_SAMPLES, integer(1, 1_000_000),
      "Outcomes needed in the window before the failure rate is judged.");
  public static final ConfigKey<Duration> WORKER_CIRCUIT_BREAKER_COOLDOWN = add(
      "worker.circuit_breaker.cooldown", "a duration from 1ms to 365d, such as 30s",
      CircuitBreakerConfig.DEFAULT_COOLDOWN, duration(d -> d.toMillis() >= 1),
      "How long the breaker stays open before a probe job.");
  public static final ConfigKey<List<String>> WORKER_EXEC_COMMAND = add("worker.exec.command",
      "a non-empty list of arguments, or a string run by /bin/sh -c", null, command(),
      "Command the exec handler runs per job (payload on stdin).");
  public static final ConfigKey<Duration> WORKER_EXEC_TIMEOUT = add("worker.exec.timeout",
      POSITIVE_DURATION, Duration.ofMinutes(1), positiveDuration(),
      "Longest one command may run; then it and its children are killed and the attempt fails.");
  public static final ConfigKey<Duration> WORKER_FILES_WORK_PER_KIB = add(
      "worker.files.work_per_kib", NON_NEGATIVE_DURATION, Duration.ofMillis(2),
      nonNegativeDuration(), "Simulated work per KiB of file for the files handler.");

  public static final ConfigKey<Path> PRODUCER_SOURCE_DIR = add("producer.source.dir",
      "a directory path", null, path(),
      "Directory the producer scans; unset: a temporary directory with generated sample files.");
  public static final ConfigKey<List<String>> PRODUCER_SOURCE_INCLUDE = addList(
      "producer.source.include", "a list of glob patterns such as **/*.csv", List.of("**"), globs(),
      "Files to enqueue, as globs relative to the directory.");
  public static final ConfigKey<List<String>> PRODUCER_SOURCE_EXCLUDE = addList(
      "producer.source.exclude", "a list of glob patterns such as **/*.tmp", List.of(), globs(),
      "Files to skip, as globs relative to the directory; exclusion wins.");
  public static final ConfigKey<Map<String, String>> PRODUCER_SOURCE_PRIORITY_BY_EXTENSION = addMap(
      "producer.source.priority_by_extension", "a mapping of file extension to priority name",
      Map.of(), extensionPriorities(),
      "Priority per file extension (without dot); others get producer.default_priority.");
  public static final ConfigKey<Duration> PRODUCER_SOURCE_RESCAN_INTERVAL = add(
      "producer.source.rescan_interval", NON_NEGATIVE_DURATION, Duration.ofSeconds(2),
      nonNegativeDuration(),
      "Pause between scans; new or changed files are enqueued. 0: scan once.");
  public static final ConfigKey<String> PRODUCER_DEFAULT_PRIORITY = add("producer.default_priority",
      Names.RULE, Producer.DEFAULT_PRIORITY, name(),
      "Priority of jobs that name none; must be one of queue.priorities.");
  public static final ConfigKey<Double> PRODUCER_RATE_LIMIT_PER_SEC = add(
      "producer.rate_limit_per_sec", "a number from 0 to 1000000", 50.0, decimal(0, 1_000_000),
      "Most jobs per second the producer role enqueues; 0: unlimited.");
  public static final ConfigKey<Integer> PRODUCER_BURST = add("producer.burst",
      "an integer from 1 to 1000000", null, integer(1, 1_000_000),
      "Permits that may be taken at once after an idle spell; unset: the rate per second rounded "
          + "down, from 1 to 10, so that no 10 s window exceeds the rate by more than 10%.");
  /** The most a producer's burst is without {@code producer.burst}, at rates of 10/s or more. */
  private static final int MOST_DEFAULT_BURST = 10;

  /**
   * The burst of a producer without {@code producer.burst}: the rate per second rounded down,
   * from 1 to 10. A burst of at most the rate admits at most a tenth more than the rate over any
   * window of 10 s (see the rate-limiting docs).
   */
  static int defaultBurst(double permitsPerSecond) {
    return (int) Math.max(1, Math.min(MOST_DEFAULT_BURST, permitsPerSecond));
  }

  public static final ConfigKey<String> PRODUCER_RATE_LIMITER = add("producer.rate_limiter",
      "one of local, redis", "local", oneOf("local", "redis"),
      "local: per process; redis: one budget shared by every producer of the queue.");

  public static final ConfigKey<Map<String, RecurringEntry>> RECURRING_ENTRIES = addMap("recurring.entries",
      "a mapping of entry name (" + Names.RULE + ") to " + CronTriggers.FORMAT + ", or to a mapping of "
          + "schedule (that expression) and optionally queue and priority (names of " + Names.RULE
          + ") and payload (text of at most " + Producer.DEFAULT_MAX_PAYLOAD_BYTES + " bytes in UTF-8)",
      Map.of(), recurringEntries(), "Jobs enqueued on a schedule: to queue.name with "
          + "producer.default_priority and the entry's name as payload, unless the entry gives its own; "
          + "every runner given the same entries enqueues each due time once between them.");
  public static final ConfigKey<ZoneId> RECURRING_TIME_ZONE = add("recurring.time_zone",
      "a time zone such as UTC or Europe/Berlin", ZoneId.of("UTC"), timeZone(),
      "Zone the cron expressions of recurring.entries are read in.");

  public static final ConfigKey<Boolean> HTTP_ENABLED = add("http.enabled",
      "true or false", true, bool(), "Serve /healthz, /readyz and /metrics.");
  public static final ConfigKey<String> HTTP_BIND = add("http.bind",
      "a host name or IP address", "127.0.0.1", host(), "Address the HTTP endpoints listen on.");
  public static final ConfigKey<Integer> HTTP_PORT = add("http.port",
      "an integer from 0 to 65535", 9090, integer(0, 65_535),
      "Port of the HTTP endpoints; 0 picks a free one (logged).");

  public static final ConfigKey<Boolean> METRICS_ENABLED = add("metrics.enabled",
      "true or false", true, bool(), "Record job metrics and serve them on /metrics.");
  public static final ConfigKey<Duration> METRICS_QUEUE_LENGTH_REFRESH = add(
      "metrics.queue_length_refresh", POSITIVE_DURATION, Duration.ofSeconds(2),
      positiveDuration(), "How often the queue_length gauge is read from the backend.");
  public static final ConfigKey<List<String>> METRICS_QUEUE_TAGS = addList("metrics.queue_tags",
      "a list of distinct names of " + Names.RULE, null, names(true),
      "Queues whose metrics always carry their own queue tag, besides queue.name and the queues of "
          + "recurring.entries; the rest are folded. Unset: the first "
          + MicrometerQueueObserver.DEFAULT_QUEUE_TAG_LIMIT + " other queues seen keep theirs too.");
  public static final ConfigKey<Integer> METRICS_FOLDED_QUEUE_BUCKETS = add("metrics.folded_queue_buckets",
      "an integer from 1 to " + MicrometerQueueObserver.MAX_FOLDED_QUEUE_BUCKETS,
      MicrometerQueueObserver.DEFAULT_FOLDED_QUEUE_BUCKETS,
      integer(1, MicrometerQueueObserver.MAX_FOLDED_QUEUE_BUCKETS),
      "Queue tag values that folded queues share: 1 gives other; n gives other-0 to other-<n-1>, "
          + "a queue always landing in the same one.");
  public static final ConfigKey<Boolean> METRICS_JVM = add("metrics.jvm",
      "true or false", true, bool(),
      "Also export JVM memory, GC, thread, class-loading and uptime metrics.");

  public static final ConfigKey<Boolean> TRACING_ENABLED = add("tracing.enabled",
      "true or false", false, bool(), "Export a span per enqueue and per job attempt over OTLP.");
  public static final ConfigKey<URI> TRACING_OTLP_ENDPOINT = add("tracing.otlp_endpoint",
      "an http or https URL", URI.create("http://127.0.0.1:4318/v1/traces"), url("http", "https"),
      "OTLP/HTTP traces endpoint.");
  public static final ConfigKey<String> TRACING_SERVICE_NAME = add("tracing.service_name",
      "a non-blank string", "workqueue-runner", text(), "service.name of exported spans.");

  public static final ConfigKey<String> LOG_LEVEL = add("log.level",
      "one of error, warn, info, debug, trace", "info",
      oneOf("error", "warn", "info", "debug", "trace"), "Level of the runner's log on stderr.");
  public static final ConfigKey<String> LOG_FORMAT = add("log.format",
      "one of text, json", "text", oneOf("text", "json"),
      "text: one line per event, ending with the job's ids from the MDC; json: one JSON object per line.");

  private ConfigKeys() {}

  /** Every key, in documentation order. */
  public static List<ConfigKey<?>> all() {
    return List.copyOf(KEYS);
  }

  /** The key at {@code path}, if there is one. */
  public static Optional<ConfigKey<?>> byPath(String path) {
    return KEYS.stream().filter(key -> key.path().equals(path)).findFirst();
  }

  /** The key overridden by environment variable {@code name}, if there is one. */
  public static Optional<ConfigKey<?>> byEnvName(String name) {
    return KEYS.stream().filter(key -> key.envName().equals(name)).findFirst();
  }

  private static <T> ConfigKey<T> add(String path, String rule, T defaultValue, Reader<T> reader,
      String description) {
    return register(new ConfigKey<>(path, false, null, rule, defaultValue, reader, description));
  }

  /** A key whose value in the file is a YAML list; only the environment spells one as a string. */
  private static ConfigKey<List<String>> addList(String path, String rule, List<String> defaultValue,
      Reader<List<String>> reader, String description) {
    return register(new ConfigKey<>(path, false, "a YAML list such as [a, b]", rule, defaultValue, reader,
        description));
  }

  /** A key whose value in the file is a YAML mapping; only the environment spells one as a string. */
  private static <V> ConfigKey<Map<String, V>> addMap(String path, String rule,
      Map<String, V> defaultValue, Reader<Map<String, V>> reader, String description) {
    return register(new ConfigKey<>(path, false, "a YAML mapping such as {a: b}", rule, defaultValue,
        reader, description));
  }

  /** A key whose value is never shown: a password or token, without default. */
  private static ConfigKey<String> secret(String path, String description) {
    return register(new ConfigKey<>(path, true, null, "a non-blank string", null, text(), description));
  }

  private static <T> ConfigKey<T> register(ConfigKey<T> key) {
    KEYS.add(key);
    return key;
  }

  private static Reader<String> text() {
    return raw -> {
      String text = scalar(raw);
      require(!text.isBlank());
      return text;
    };
  }

  private static Reader<String> name() {
    return raw -> {
      String text = scalar(raw);
      require(Names.isValid(text));
      return text;
    };
  }

  private static Reader<String> oneOf(String... allowed) {
    return raw -> {
      String text = scalar(raw).toLowerCase(Locale.ROOT);
      require(List.of(allowed).contains(text));
      return text;
    };
  }

  private static Reader<Integer> integer(int min, int max) {
    return raw -> {
      long value;
      if (raw instanceof Integer || raw instanceof Long) {
        value = ((Number) raw).longValue();
      } else {
        require(raw instanceof String);
        try {
          value = Long.parseLong(((String) raw).trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(e);
        }
      }
      require(value >= min && value <= max);
      return (int) value;
    };
  }

  private static Reader<Double> decimal(double min, double max) {
    return raw -> {
      double value;
      if (raw instanceof Number number) {
        value = number.doubleValue();
      } else {
        require(raw instanceof String);
        try {
          value = Double.parseDouble(((String) raw).trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(e);
        }
      }
      require(Double.isFinite(value) && value >= min && value <= max);
      return value;
    };
  }

  private static Reader<Boolean> bool() {
    return raw -> {
      if (raw instanceof Boolean value) {
        return value;
      }
      String text = scalar(raw).trim().toLowerCase(Locale.ROOT);
      require(text.equals("true") || text.equals("false"));
      return Boolean.parseBoolean(text);
    };
  }

  private static Reader<Duration> positiveDuration() {
    return duration(d -> !d.isNegative() && !d.isZero());
  }

  private static Reader<Duration> redisTimeout() {
    return duration(d -> d.toMillis() >= 1 && d.compareTo(Duration.ofHours(1)) <= 0);
  }

  private static Reader<Duration> nonNegativeDuration() {
    return duration(d -> !d.isNegative());
  }

  private static Reader<Duration> duration(Predicate<Duration> valid) {
    return raw -> {
      Duration value;
      if (raw instanceof Integer number && number == 0) {
        value = Duration.ZERO;
      } else {
        require(raw instanceof String);
        value = Durations.parse((String) raw);
      }
      require(value.compareTo(LONGEST_DURATION) <= 0 && valid.test(value));
      return value;
    };
  }

  private static Reader<URI> url(String... schemes) {
    return raw -> {
      String text = scalar(raw).trim();
      URI uri;
      try {
        uri = new URI(text);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(e);
      }
      require(uri.getScheme() != null && uri.getHost() != null
          && List.of(schemes).contains(uri.getScheme().toLowerCase(Locale.ROOT))
          && (uri.getPort() == -1 || uri.getPort() >= 1 && uri.getPort() <= 65535));
      return uri;
    };
  }

  /**
   * A Redis URL as the backend reads it: the path, if any, is the database number, and there is
   * no query or fragment. The backend would ignore those silently (and the log would show them,
   * whatever secret they hold), and take a bad port or database only when it first connects.
   */
  private static Reader<URI> redisUrl() {
    Reader<URI> url = url("redis", "rediss");
    return raw -> {
      URI uri = url.read(raw);
      require(DATABASE_PATH.matcher(uri.getRawPath()).matches() && uri.getRawQuery() == null
          && uri.getRawFragment() == null);
      return uri;
    };
  }

  /** A host name, or an IPv4 or IPv6 address (the latter optionally in brackets). */
  private static Reader<String> host() {
    return raw -> {
      String text = scalar(raw).trim();
      require(isHostName(text) || isIpv6Address(text));
      return text;
    };
  }

  private static boolean isHostName(String text) {
    if (text.length() > 253
        || !Arrays.stream(text.split("\\.", -1)).allMatch(label -> HOST_LABEL.matcher(label).matches())) {
      return false;
    }
    // A name of digits and dots is read as an address: 10.0.0 would mean 10.0.0.0.
    return !text.chars().allMatch(c -> c == '.' || Character.isDigit(c)) || IPV4.matcher(text).matches();
  }

  private static boolean isIpv6Address(String text) {
    String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    if (!IPV6_CHARACTERS.matcher(bare).matches()) {
      return false;
    }
    try {
      // In brackets the JDK reads the text as an IPv6 literal and never asks DNS.
      InetAddress.getByName("[" + bare + "]");
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static Reader<Path> path() {
    return raw -> {
      String text = scalar(raw);
      require(!text.isBlank());
      return Path.of(text);
    };
  }

  private static Reader<List<String>> names(boolean mayBeEmpty) {
    return raw -> {
      List<String> names = list(raw);
      require((mayBeEmpty || !names.isEmpty()) && names.stream().allMatch(Names::isValid)
          && new HashSet<>(names).size() == names.size());
      return names;
    };
  }

  private static Reader<List<String>> hostPorts() {
    return raw -> {
      List<String> nodes = list(raw);
      require(!nodes.isEmpty() && nodes.stream().allMatch(ConfigKeys::isHostPort));
      return nodes;
    };
  }

  private static boolean isHostPort(String node) {
    if (node.lastIndexOf(':') <= 0) {
      return false; // HostAndPort.from fails on a missing port with an index error, not a clear one
    }
    try {
      HostAndPort parsed = HostAndPort.from(node);
      // The host must be a name or an address: HostAndPort takes anything before the last colon,
      // user information and password included (app:secret@host:26379), which was then printed.
      return (isHostName(parsed.getHost()) || isIpv6Address(parsed.getHost()))
          && parsed.getPort() >= 1 && parsed.getPort() <= 65_535;
    } catch (IllegalArgumentException e) { // NumberFormatException included
      return false;
    }
  }

  private static Reader<List<String>> globs() {
    return raw -> {
      List<String> globs = list(raw);
      for (String glob : globs) {
        require(!glob.isBlank());
        FileSystems.getDefault().getPathMatcher("glob:" + glob);
      }
      return globs;
    };
  }

  private static Reader<List<String>> command() {
    return raw -> {
      if (raw instanceof String text) {
        require(!text.isBlank());
        return List.of("/bin/sh", "-c", text);
      }
      List<String> arguments = list(raw);
      require(!arguments.isEmpty() && !arguments.get(0).isBlank());
      return arguments;
    };
  }

  private static Reader<String> handler() {
    return raw -> {
      String text = scalar(raw).trim();
      if (BUILT_IN_HANDLERS.contains(text)) {
        return text;
      }
      require(isHandlerClass(text));
      return text;
    };
  }

  private static boolean isHandlerClass(String className) {
    try {
      Class<?> type =
          Class.forName(className, false, Thread.currentThread().getContextClassLoader());
      if (!JobHandler.class.isAssignableFrom(type) || !Modifier.isPublic(type.getModifiers())
          || Modifier.isAbstract(type.getModifiers())) {
        return false;
      }
      Constructor<?> constructor = type.getConstructor();
      return Modifier.isPublic(constructor.getModifiers());
    } catch (ClassNotFoundException | NoSuchMethodException | LinkageError e) {
      return false;
    }
  }

  private static Reader<Map<String, Integer>> weights() {
    Reader<Integer> weight = integer(1, 1_000_000);
    return raw -> {
      Map<String, Integer> weights = new LinkedHashMap<>();
      map(raw).forEach((lane, value) -> {
        require(Names.isValid(lane));
        weights.put(lane, weight.read(value));
      });
      return weights;
    };
  }

  /** Reports every invalid entry and field by its own path, such as {@code .nightly.schedule}. */
  private static Reader<Map<String, RecurringEntry>> recurringEntries() {
    return raw -> {
      Map<String, RecurringEntry> entries = new LinkedHashMap<>();
      List<Part> invalid = new ArrayList<>();
      map(raw).forEach((name, value) -> {
        if (!Names.isValid(name)) {
          invalid.add(new Part("." + name, "an entry name of " + Names.RULE, name));
        } else if (value instanceof Map<?, ?> fields) {
          entries.put(name, recurringEntry("." + name, fields, invalid));
        } else {
          entries.put(name, RecurringEntry.of(cron("." + name, value, invalid)));
        }
      });
      if (!invalid.isEmpty()) {
        throw new ConfigKey.InvalidParts(invalid);
      }
      return entries;
    };
  }

  private static RecurringEntry recurringEntry(String path, Map<?, ?> fields, List<Part> invalid) {
    Map<String, Object> given = map(fields);
    given.keySet().stream().filter(field -> !RECURRING_FIELDS.contains(field)).forEach(field ->
        invalid.add(new Part(path + "." + field, "one of the fields " + RECURRING_FIELDS, field)));
    Object schedule = given.get("schedule");
    if (schedule == null) {
      invalid.add(new Part(path + ".schedule", "set: " + CronTriggers.FORMAT, null));
    }
    String payload = given.containsKey("payload") ? scalar(given.get("payload")) : null;
    int payloadBytes = payload == null ? 0 : payload.getBytes(StandardCharsets.UTF_8).length;
    if (payloadBytes > Producer.DEFAULT_MAX_PAYLOAD_BYTES) {
      invalid.add(new Part(path + ".payload",
          "text of at most " + Producer.DEFAULT_MAX_PAYLOAD_BYTES + " bytes in UTF-8", payload));
    }
    return new RecurringEntry(schedule == null ? null : cron(path + ".schedule", schedule, invalid),
        optionalName(path + ".queue", given.get("queue"), invalid),
        optionalName(path + ".priority", given.get("priority"), invalid), payload);
  }

  private static String cron(String path, Object raw, List<Part> invalid) {
    String expression = scalar(raw);
    try {
      CronTriggers.check(expression);
    } catch (IllegalArgumentException e) {
      invalid.add(new Part(path, CronTriggers.FORMAT, expression));
    }
    return expression.trim();
  }

  private static String optionalName(String path, Object raw, List<Part> invalid) {
    String name = raw == null ? null : scalar(raw);
    if (name != null && !Names.isValid(name)) {
      invalid.add(new Part(path, "a name of " + Names.RULE, name));
    }
    return name;
  }

  private static Reader<ZoneId> timeZone() {
    return raw -> {
      try {
        return ZoneId.of(scalar(raw).trim());
      } catch (DateTimeException e) {
        throw new IllegalArgumentException(e);
      }
    };
  }

  private static Reader<Map<String, String>> extensionPriorities() {
    return raw -> {
      Map<String, String> priorities = new LinkedHashMap<>();
      map(raw).forEach((extension, value) -> {
        String bare = extension.startsWith(".") ? extension.substring(1) : extension;
        String priority = scalar(value);
        require(!bare.isBlank() && !bare.contains("/") && Names.isValid(priority));
        priorities.put(bare.toLowerCase(Locale.ROOT), priority);
      });
      return priorities;
    };
  }

  private static String scalar(Object raw) {
    require(raw instanceof String || raw instanceof Number || raw instanceof Boolean);
    return raw.toString();
  }

  /** A YAML list of scalars, or a comma-separated string (from the environment). */
  private static List<String> list(Object raw) {
    if (raw instanceof String text) {
      return text.isBlank() ? List.of()
          : Arrays.stream(text.split(",")).map(String::trim).toList();
    }
    require(raw instanceof List<?>);
    List<String> values = new ArrayList<>();
    for (Object item : (List<?>) raw) {
      values.add(scalar(item));
    }
    return List.copyOf(values);
  }

  private static Map<String, Object> map(Object raw) {
    Map<String, Object> entries = new LinkedHashMap<>();
    if (raw instanceof String text) {
      Set<String> seen = new HashSet<>();
      // A value may hold commas, as cron expressions such as "0 9,17 * * *" do.
      for (String separated : ENV_PAIR_SEPARATOR.split(text)) {
        String pair = STRAY_COMMAS.matcher(separated).replaceAll("");
        if (pair.isBlank()) {
          continue;
        }
        int equals = pair.indexOf('=');
        require(equals > 0);
        String key = pair.substring(0, equals).trim();
        require(seen.add(key));
        entries.put(key, pair.substring(equals + 1).trim());
      }
      return entries;
    }
    require(raw instanceof Map<?, ?>);
    for (Map.Entry<?, ?> entry : ((Map<?, ?>) raw).entrySet()) {
      require(entry.getKey() != null && entry.getValue() != null);
      entries.put(scalar(entry.getKey()), entry.getValue());
    }
    return entries;
  }

  private static void require(boolean valid) {
    if (!valid) {
      throw new IllegalArgumentException();
    }
  }
}
