package dev.workqueue.runner.internal.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.Producer;
import dev.workqueue.runner.internal.CronTriggers;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final String NAME_RULE = "1 to 128 characters of letters, digits, '.', '_', ':' or '-'";

  @TempDir
  Path dir;

  private Path yaml(String text) throws Exception {
    return Files.writeString(dir.resolve("config.yaml"), text);
  }

  private static List<String> problems(Path file, Map<String, String> env) {
    try {
      ConfigLoader.load(file, env);
    } catch (InvalidConfigurationException e) {
      return e.problems();
    }
    throw new AssertionError("expected the configuration to be rejected");
  }

  @Test
  void noFileAndNoEnvironmentGivesTheDocumentedDefaults() {
    RunnerConfig config = ConfigLoader.load(null, Map.of());

    assertThat(config.usesRedis()).isFalse();
    assertThat(config.get(ConfigKeys.QUEUE_NAME)).isEqualTo("default");
    assertThat(config.get(ConfigKeys.QUEUE_PRIORITIES)).containsExactly("high", "default", "low");
    assertThat(config.get(ConfigKeys.WORKER_CONCURRENCY)).isEqualTo(4);
    assertThat(config.get(ConfigKeys.WORKER_HANDLER)).isEqualTo("files");
    assertThat(config.get(ConfigKeys.HTTP_BIND)).isEqualTo("127.0.0.1");
    assertThat(config.get(ConfigKeys.HTTP_PORT)).isEqualTo(9090);
    assertThat(config.get(ConfigKeys.WORKER_DRAIN_TIMEOUT)).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.isSet(ConfigKeys.QUEUE_NAME)).isFalse();
  }

  @Test
  void fileValuesAreReadAndEnvironmentVariablesOverrideThem() throws Exception {
    Path file = yaml("""
        redis:
          url: redis://cache:6380/2
        queue:
          name: emails
          priorities: [urgent, bulk]
        worker:
          concurrency: 8
          lease: 10s
          exec:
            command: [/usr/bin/env, python3, job.py]
        producer:
          default_priority: bulk
          source:
            priority_by_extension: {.pdf: urgent, csv: bulk}
        """);
    RunnerConfig config = ConfigLoader.load(file, Map.of(
        "WORKQUEUE_WORKER_CONCURRENCY", "16",
        "WORKQUEUE_PRODUCER_SOURCE_INCLUDE", "**/*.pdf, **/*.csv",
        "PATH", "/usr/bin"));

    assertThat(config.get(ConfigKeys.REDIS_URL)).isEqualTo(URI.create("redis://cache:6380/2"));
    assertThat(config.get(ConfigKeys.QUEUE_NAME)).isEqualTo("emails");
    assertThat(config.get(ConfigKeys.WORKER_CONCURRENCY)).isEqualTo(16);
    assertThat(config.get(ConfigKeys.WORKER_LEASE)).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.get(ConfigKeys.WORKER_EXEC_COMMAND)).containsExactly("/usr/bin/env", "python3", "job.py");
    assertThat(config.get(ConfigKeys.PRODUCER_SOURCE_INCLUDE)).containsExactly("**/*.pdf", "**/*.csv");
    assertThat(config.get(ConfigKeys.PRODUCER_SOURCE_PRIORITY_BY_EXTENSION))
        .containsOnly(Map.entry("pdf", "urgent"), Map.entry("csv", "bulk"));
    assertThat(config.isSet(ConfigKeys.WORKER_CONCURRENCY)).isTrue();
  }

  @Test
  void everyMistakeIsReportedAtOnceWithItsPathValueAndRule() throws Exception {
    Path file = yaml("""
        worker:
          concurency: 4
          concurrency: -3
          job_timeout: 10 seconds
        """);

    assertThat(problems(file, Map.of())).containsExactlyInAnyOrder(
        "worker.concurency is not a known key; known keys under worker: circuit_breaker, concurrency, "
            + "drain_timeout, exec, files, handler, job_timeout, lease, name, retry",
        "worker.concurrency must be an integer from 1 to 1024, but was -3",
        "worker.job_timeout must be a positive duration up to 365d, such as 500ms, 30s, 5m or 1h, "
            + "but was \"10 seconds\"");
  }

  /** The engine refuses such values only once it is built; the runner says so before it starts anything. */
  @Test
  void recurringEntriesAreCronExpressionsOfFiveOrSixFieldsInAKnownZone() throws Exception {
    Path good = yaml("""
        recurring:
          entries:
            nightly: "0 2 * * *"
            every-30s: " */30 * * * * * "
          time_zone: Europe/Berlin
        """);
    RunnerConfig config = ConfigLoader.load(good, Map.of());
    assertThat(config.get(ConfigKeys.RECURRING_ENTRIES)).containsExactly(
        Map.entry("nightly", RecurringEntry.of("0 2 * * *")),
        Map.entry("every-30s", RecurringEntry.of("*/30 * * * * *")));
    assertThat(config.get(ConfigKeys.RECURRING_TIME_ZONE)).hasToString("Europe/Berlin");

    Path bad = yaml("""
        recurring:
          entries:
            nightly: "61 2 * * *"
          time_zone: Mars/Olympus
        """);
    assertThat(problems(bad, Map.of("WORKQUEUE_RECURRING_ENTRIES", "a b=* * * * *")))
        .containsExactlyInAnyOrder(
        "recurring.entries.a b (set by WORKQUEUE_RECURRING_ENTRIES) must be an entry name of 1 to 128 "
            + "characters of letters, digits, '.', '_', ':' or '-', but was \"a b\"",
        "recurring.time_zone must be a time zone such as UTC or Europe/Berlin, but was \"Mars/Olympus\"");
    assertThat(problems(bad, Map.of())).contains(
        "recurring.entries.nightly must be " + CronTriggers.FORMAT + ", but was \"61 2 * * *\"");
    assertThat(problems(yaml("recurring:\n  entries: [nightly]\n"), Map.of())).containsExactly(
        "recurring.entries must be " + ConfigKeys.RECURRING_ENTRIES.rule() + ", but was [nightly]");
  }

  @Test
  void aRecurringEntryMayNameItsQueuePriorityAndPayload() throws Exception {
    Path file = yaml("""
        queue:
          name: mail
        recurring:
          entries:
            digest:
              schedule: "0 7 * * *"
              queue: reports
              priority: urgent
              payload: '{"kind": "daily"}'
            retry-bounces:
              schedule: "*/5 * * * *"
              priority: low
            nightly: "0 2 * * *"
        """);

    RunnerConfig config = ConfigLoader.load(file, Map.of());

    assertThat(config.get(ConfigKeys.RECURRING_ENTRIES)).containsExactly(
        Map.entry("digest", new RecurringEntry("0 7 * * *", "reports", "urgent", "{\"kind\": \"daily\"}")),
        Map.entry("retry-bounces", new RecurringEntry("*/5 * * * *", null, "low", null)),
        Map.entry("nightly", RecurringEntry.of("0 2 * * *")));
    // Printed as written: a mapping only where the entry gave more than its schedule.
    assertThat(((Map<?, ?>) config.redactedTree().get("recurring")).get("entries")).isEqualTo(Map.of(
        "digest", Map.of("schedule", "0 7 * * *", "queue", "reports", "priority", "urgent",
            "payload", "{\"kind\": \"daily\"}"),
        "retry-bounces", Map.of("schedule", "*/5 * * * *", "priority", "low"),
        "nightly", "0 2 * * *"));
  }

  @Test
  void inTheEnvironmentAMappingsValuesMayHoldCommas() {
    RunnerConfig config = ConfigLoader.load(null, Map.of(
        "WORKQUEUE_RECURRING_ENTRIES", "twice=0 9,17 * * *, nightly=0 2 * * *,",
        "WORKQUEUE_QUEUE_WEIGHTS", "high=6,,low=1",
        "WORKQUEUE_QUEUE_PRIORITY_MODE", "weighted",
        "WORKQUEUE_QUEUE_PRIORITIES", "high,low",
        "WORKQUEUE_PRODUCER_DEFAULT_PRIORITY", "low"));

    assertThat(config.get(ConfigKeys.RECURRING_ENTRIES)).containsExactly(
        Map.entry("twice", RecurringEntry.of("0 9,17 * * *")),
        Map.entry("nightly", RecurringEntry.of("0 2 * * *")));
    assertThat(config.get(ConfigKeys.QUEUE_WEIGHTS))
        .containsExactly(Map.entry("high", 6), Map.entry("low", 1));
    assertThat(problems(null, Map.of("WORKQUEUE_QUEUE_WEIGHTS", "high=6,low"))).containsExactly(
        "queue.weights (set by WORKQUEUE_QUEUE_WEIGHTS) must be " + ConfigKeys.QUEUE_WEIGHTS.rule()
            + ", but was \"high=6,low\"");
  }

  /** Queue "mail" served in lanes high and low, then the start of recurring.entries. */
  private static final String MAIL_RECURRING = """
      queue:
        name: mail
        priorities: [high, low]
      producer:
        default_priority: low
      recurring:
        entries:
      """;

  /**
   * Each bad entry or field is reported by its own path, all at once. A priority this runner's own
   * consumers do not serve would leave the job waiting for ever.
   */
  @Test
  void everyInvalidFieldOfARecurringEntryIsReportedWithItsPath() throws Exception {
    Path file = yaml(MAIL_RECURRING + """
            no-schedule:
              queue: reports
            misspelt:
              schedule: "0 7 * * *"
              queues: reports
            bad-names:
              schedule: "1 2 3"
              queue: "reports/daily"
              priority: "very high"
            large:
              schedule: "0 7 * * *"
              payload: "%s"
        """.formatted("x".repeat(Producer.DEFAULT_MAX_PAYLOAD_BYTES + 1)));

    assertThat(problems(file, Map.of())).containsExactlyInAnyOrder(
        "recurring.entries.no-schedule.schedule must be set: " + CronTriggers.FORMAT + ", but was null",
        "recurring.entries.misspelt.queues must be one of the fields [schedule, queue, priority, payload], "
            + "but was \"queues\"",
        "recurring.entries.bad-names.schedule must be " + CronTriggers.FORMAT + ", but was \"1 2 3\"",
        "recurring.entries.bad-names.queue must be a name of " + NAME_RULE + ", but was \"reports/daily\"",
        "recurring.entries.bad-names.priority must be a name of " + NAME_RULE + ", but was \"very high\"",
        "recurring.entries.large.payload must be text of at most 1048576 bytes in UTF-8, but was \""
            + "x".repeat(200) + "...\"");

    assertThat(problems(yaml(MAIL_RECURRING + """
            own:
              schedule: "0 7 * * *"
              priority: urgent
            same-queue-named:
              schedule: "0 8 * * *"
              queue: mail
              priority: urgent
            elsewhere:
              schedule: "0 9 * * *"
              queue: reports
              priority: urgent
        """), Map.of())).containsExactlyInAnyOrder(
        "recurring.entries.own.priority must be one of queue.priorities [high, low] for a job to queue.name, "
            + "but was \"urgent\"",
        "recurring.entries.same-queue-named.priority must be one of queue.priorities [high, low] for a job "
            + "to queue.name, but was \"urgent\"");
  }

  @Test
  void durationsBeyondWhatTheEngineTakesAreRefusedWithTheirPath() throws Exception {
    Path file = yaml("""
        redis:
          socket_timeout: 2h
          connect_timeout: PT0.0001S
        worker:
          job_timeout: 10000h
          lease: 1000d
        """);

    assertThat(problems(file, Map.of())).containsExactlyInAnyOrder(
        "redis.socket_timeout must be a duration from 1ms to 1h, such as 500ms or 5s, but was \"2h\"",
        "redis.connect_timeout must be a duration from 1ms to 1h, such as 500ms or 5s, but was \"PT0.0001S\"",
        "worker.job_timeout must be a positive duration up to 365d, such as 500ms, 30s, 5m or 1h, "
            + "but was \"10000h\"",
        "worker.lease must be a duration from 100ms to 365d, such as 30s, but was \"1000d\"");
  }

  @Test
  void environmentProblemsNameTheVariableAndUnknownWorkqueueVariablesAreRejected() {
    assertThat(problems(null, Map.of("WORKQUEUE_WORKER_CONCURRENCY", "many", "WORKQUEUE_REDIS_ULR", "x")))
        .containsExactlyInAnyOrder(
            "environment variable WORKQUEUE_REDIS_ULR is not a known key; see docs/runner.md for the "
                + "WORKQUEUE_* names",
            "worker.concurrency (set by WORKQUEUE_WORKER_CONCURRENCY) must be an integer from 1 to 1024, "
                + "but was \"many\"");
  }

  @Test
  void variablesTheExecHandlerSetsForItsCommandsAreNotConfiguration() {
    RunnerConfig config = ConfigLoader.load(null, Map.of("WORKQUEUE_JOB_ID", "j1", "WORKQUEUE_QUEUE", "q",
        "WORKQUEUE_PRIORITY", "high", "WORKQUEUE_ATTEMPT", "2"));

    assertThat(config.get(ConfigKeys.QUEUE_NAME)).isEqualTo("default");
  }

  @Test
  void secretsNeverAppearInProblems() {
    List<String> problems = problems(null, Map.of(
        "WORKQUEUE_REDIS_URL", "http://admin:hunter2@cache:6379",
        "WORKQUEUE_REDIS_PASSWORD", " "));

    assertThat(String.join("\n", problems)).doesNotContain("hunter2")
        .contains("redis.url (set by WORKQUEUE_REDIS_URL) must be a URL such as redis://host:6379",
            "but was \"http://admin:******@cache:6379\"")
        .contains("redis.password (set by WORKQUEUE_REDIS_PASSWORD) must be a non-blank string, but was \"******\"");
  }

  /** The backend took these only when it first connected, or ignored parts of them silently. */
  @Test
  void redisUrlsTheBackendCannotUseAreReportedBeforeAnythingConnects() {
    for (String url : List.of("redis://cache:99999", "redis://cache:0", "redis://cache:6379/abc",
        "redis://cache:6379/0?password=hunter2", "redis://cache:6379#hunter2")) {
      assertThat(problems(null, Map.of("WORKQUEUE_REDIS_URL", url))).as(url).singleElement().asString()
          .startsWith("redis.url (set by WORKQUEUE_REDIS_URL) must be a URL such as redis://host:6379 or "
              + "rediss://host:6380/0 (port 1 to 65535, path only a DB number, no query)")
          .doesNotContain("hunter2");
    }
    for (String url : List.of("redis://cache", "redis://cache:6379/", "rediss://app:pw@cache:6380/15")) {
      assertThat(ConfigLoader.load(null, Map.of("WORKQUEUE_REDIS_URL", url)).get(ConfigKeys.REDIS_URL))
          .isEqualTo(URI.create(url));
    }
  }

  /** Taken as hosts, such nodes passed and `config` printed their passwords. */
  @Test
  void nodesWithUserInformationAreRefusedWithoutShowingIt() throws Exception {
    assertThat(problems(null, Map.of("WORKQUEUE_REDIS_SENTINEL_MASTER", "jobs",
        "WORKQUEUE_REDIS_SENTINEL_NODES", "10.0.0.1:26379,app:hunter2@10.0.0.2:26379")))
        .containsExactly("redis.sentinel.nodes (set by WORKQUEUE_REDIS_SENTINEL_NODES) must be a non-empty "
            + "list of host:port, such as [10.0.0.1:26379, 10.0.0.2:26379], but was "
            + "\"10.0.0.1:26379,******@10.0.0.2:26379\"");
    assertThat(problems(yaml("""
        redis:
          cluster:
            nodes: ["redis://app:hunter2@10.0.0.1:6379", "pass@word@10.0.0.2:6379"]
        """), Map.of())).singleElement().asString().startsWith("redis.cluster.nodes must be")
        .doesNotContain("hunter2", "pass", "word");
    RunnerConfig valid = ConfigLoader.load(null, Map.of("WORKQUEUE_REDIS_CLUSTER_NODES",
        "redis-0.redis:6379,10.0.0.1:6379,[::1]:6379,::1:6380"));
    assertThat(valid.get(ConfigKeys.REDIS_CLUSTER_NODES)).hasSize(4);
  }

  @Test
  void passwordsHoldingSlashesAtSignsOrSpacesNeverAppearInProblems() {
    for (String password : List.of("ab/cd+ef", "ab@cd", "ab cd@ef/gh")) {
      List<String> problems = problems(null,
          Map.of("WORKQUEUE_REDIS_URL", "redis://app:" + password + "@127.0.0.1:6481"));

      assertThat(problems).as(password).singleElement().asString()
          .endsWith("but was \"redis://app:******@127.0.0.1:6481\"")
          .doesNotContain("ab", "cd");
    }
  }

  @Test
  void yamlSyntaxErrorsNameLineAndColumnButNeverQuoteTheLine() throws Exception {
    Path file = yaml("""
        redis:
          password: "hunter2
        worker:
          concurrency: 3
        """);

    assertThat(problems(file, Map.of())).containsExactly("config file " + file + " is not valid YAML: "
        + "found unexpected end of stream at line 5, column 1 (while scanning a quoted scalar from line 2, "
        + "column 13)");
  }

  @Test
  void printedConfigurationRedactsPasswordsInKeysAndUrls() {
    RunnerConfig config = ConfigLoader.load(null, Map.of(
        "WORKQUEUE_REDIS_URL", "rediss://app:hunter2@cache:6380", "WORKQUEUE_REDIS_PASSWORD", "s3cret"));

    @SuppressWarnings("unchecked")
    Map<String, Object> redis = (Map<String, Object>) config.redactedTree().get("redis");
    assertThat(redis).containsEntry("url", "rediss://app:******@cache:6380").containsEntry("password", "******");
    assertThat(config.redactedTree().toString()).doesNotContain("hunter2", "s3cret");
  }

  @Test
  void printedConfigurationHidesTheQueryOfATracingEndpoint() {
    RunnerConfig config = ConfigLoader.load(null, Map.of(
        "WORKQUEUE_TRACING_OTLP_ENDPOINT", "https://collector:4318/v1/traces?api_key=k3y"));

    @SuppressWarnings("unchecked")
    Map<String, Object> tracing = (Map<String, Object>) config.redactedTree().get("tracing");
    assertThat(tracing).containsEntry("otlp_endpoint", "https://collector:4318/v1/traces?******");
  }

  @Test
  void contradictoryValuesAreNamedTogether() throws Exception {
    Path file = yaml("""
        queue:
          priorities: [high, low]
          priority_mode: weighted
          weights: {high: 3}
        worker:
          handler: exec
          retry:
            initial_backoff: 1m
            max_backoff: 10s
        producer:
          rate_limiter: redis
          source:
            priority_by_extension: {pdf: urgent}
        """);

    assertThat(problems(file, Map.of())).containsExactlyInAnyOrder(
        "producer.default_priority must be one of queue.priorities [high, low], but was \"default\"",
        "producer.source.priority_by_extension.pdf must be one of queue.priorities [high, low], but was \"urgent\"",
        "queue.weights.low must be a positive weight for every priority when queue.priority_mode is weighted, but was null",
        "worker.exec.command must be set when worker.handler is exec: a non-empty list of arguments, or a "
            + "string run by /bin/sh -c, but was null",
        "worker.retry.max_backoff must be at least worker.retry.initial_backoff (1m), but was \"10s\"",
        "producer.rate_limiter must be local when no Redis is configured (redis.url, "
            + "redis.sentinel.master with redis.sentinel.nodes, or redis.cluster.nodes), but was \"redis\"");
  }

  @Test
  void theReplicaWaitMustEndBeforeTheSocketTimeoutWhenReplicasAreAwaited() throws Exception {
    Path file = yaml("""
        redis:
          url: redis://127.0.0.1:6379
          socket_timeout: 2s
          wait_for_replicas: 1
          wait_for_replicas_timeout: 2s
        """);

    assertThat(problems(file, Map.of())).containsExactly(
        "redis.wait_for_replicas_timeout must be shorter than redis.socket_timeout (2s), but was \"2s\"");
    assertThat(ConfigLoader.load(file, Map.of("WORKQUEUE_REDIS_WAIT_FOR_REPLICAS", "0"))
        .get(ConfigKeys.REDIS_WAIT_FOR_REPLICAS)).isZero();
  }

  @Test
  void weightOfALaneThatIsNoPriorityIsReportedWithItsPath() throws Exception {
    Path file = yaml("""
        queue:
          priority_mode: weighted
          weights: {high: 6, hgh: 5, default: 3, low: 1}
        """);

    assertThat(problems(file, Map.of())).containsExactly(
        "queue.weights.hgh is not a lane of queue.priorities [high, default, low]");
    assertThat(problems(null, Map.of("WORKQUEUE_QUEUE_WEIGHTS", "hgh=5"))).containsExactly(
        "queue.weights.hgh (set by WORKQUEUE_QUEUE_WEIGHTS) is not a lane of queue.priorities "
            + "[high, default, low]");
    assertThat(problems(null, Map.of("WORKQUEUE_PRODUCER_SOURCE_PRIORITY_BY_EXTENSION", "txt=urgent")))
        .containsExactly("producer.source.priority_by_extension.txt (set by "
            + "WORKQUEUE_PRODUCER_SOURCE_PRIORITY_BY_EXTENSION) must be one of queue.priorities "
            + "[high, default, low], but was \"urgent\"");
  }

  @Test
  void httpBindMustBeAHostNameOrAnIpAddress() {
    for (String bind : List.of("127.0.0.1", "0.0.0.0", "localhost", "metrics-1.internal", "::1", "[::1]",
        "::", "2001:db8::7")) {
      assertThat(ConfigLoader.load(null, Map.of("WORKQUEUE_HTTP_BIND", bind)).get(ConfigKeys.HTTP_BIND))
          .isEqualTo(bind);
    }
    for (String bind : List.of("not a host!", "256.0.0.1", "10.0.0", "-web.internal", "web..internal",
        "[::1", "::g", "web.internal.")) {
      assertThat(problems(null, Map.of("WORKQUEUE_HTTP_BIND", bind))).as(bind).containsExactly("http.bind "
          + "(set by WORKQUEUE_HTTP_BIND) must be a host name or IP address, but was \"" + bind + "\"");
    }
  }

  @Test
  void sentinelOrClusterKeysConfigureRedisInsteadOfAUrl() throws Exception {
    RunnerConfig sentinel = ConfigLoader.load(yaml("""
        redis:
          sentinel:
            master: jobs
            nodes: [10.0.0.1:26379, 'sentinel-2.internal:26379']
        """), Map.of());
    assertThat(sentinel.redisTopology()).isEqualTo(RunnerConfig.RedisTopology.SENTINEL);
    assertThat(sentinel.usesRedis()).isTrue();
    assertThat(sentinel.get(ConfigKeys.REDIS_SENTINEL_NODES))
        .containsExactly("10.0.0.1:26379", "sentinel-2.internal:26379");

    RunnerConfig cluster = ConfigLoader.load(null,
        Map.of("WORKQUEUE_REDIS_CLUSTER_NODES", "10.0.0.1:6379, 10.0.0.2:6379"));
    assertThat(cluster.redisTopology()).isEqualTo(RunnerConfig.RedisTopology.CLUSTER);
    assertThat(cluster.get(ConfigKeys.REDIS_CLUSTER_NODES)).containsExactly("10.0.0.1:6379", "10.0.0.2:6379");
  }

  @Test
  void redisConfiguredTwoWaysOrHalfASentinelIsRefused() throws Exception {
    Path file = yaml("""
        redis:
          url: redis://cache:6379
          sentinel:
            master: jobs
          cluster:
            nodes: [10.0.0.1, 'cache:port', 'cache:70000']
        """);

    assertThat(problems(file, Map.of())).containsExactlyInAnyOrder(
        "redis.cluster.nodes must be a non-empty list of host:port, such as [10.0.0.1:26379, "
            + "10.0.0.2:26379], but was [10.0.0.1, cache:port, cache:70000]",
        "redis.sentinel.nodes must be set together with redis.sentinel.master: a non-empty list of "
            + "host:port, such as [10.0.0.1:26379, 10.0.0.2:26379], but was null",
        "Redis is configured more than one way (redis.url, redis.sentinel.master, redis.cluster.nodes); "
            + "set only one of redis.url, redis.sentinel.master with redis.sentinel.nodes, or redis.cluster.nodes");
  }

  /** An invalid queue.priorities ended the cross-key checks: the other mistakes came one run later. */
  @Test
  void crossKeyMistakesAreReportedAlongWithInvalidPriorities() throws Exception {
    Path file = yaml("""
        queue:
          priorities: []
        redis:
          url: redis://cache:6379
          sentinel:
            master: jobs
            nodes: [10.0.0.1:26379]
        worker:
          handler: exec
        """);

    assertThat(problems(file, Map.of())).hasSize(3)
        .anyMatch(problem -> problem.startsWith("queue.priorities must be "))
        .contains("worker.exec.command must be set when worker.handler is exec: "
            + ConfigKeys.WORKER_EXEC_COMMAND.rule() + ", but was null")
        .contains("Redis is configured more than one way (redis.url, redis.sentinel.master, "
            + "redis.sentinel.nodes); set only one of redis.url, redis.sentinel.master with "
            + "redis.sentinel.nodes, or redis.cluster.nodes");
  }

  /** A scalar was read as the environment's comma-separated spelling, though the docs ask for a list. */
  @Test
  void aScalarInTheFileWhereAListOrMappingBelongsIsRefusedButTheEnvironmentMaySpellOne() throws Exception {
    Path file = yaml("""
        queue:
          priorities: high
        producer:
          source:
            include: "**/*.csv"
            priority_by_extension: csv=high
        """);

    assertThat(problems(file, Map.of())).containsExactlyInAnyOrder(
        "queue.priorities must be a YAML list such as [a, b], not a single value, but was \"high\"",
        "producer.source.include must be a YAML list such as [a, b], not a single value, but was "
            + "\"**/*.csv\"",
        "producer.source.priority_by_extension must be a YAML mapping such as {a: b}, not a single value, "
            + "but was \"csv=high\"");
    assertThat(ConfigLoader.load(null, Map.of("WORKQUEUE_QUEUE_PRIORITIES", "high",
        "WORKQUEUE_PRODUCER_DEFAULT_PRIORITY", "high")).get(ConfigKeys.QUEUE_PRIORITIES))
        .containsExactly("high");
  }

  @Test
  void aUserNameNeedsAPassword() throws Exception {
    Path file = yaml("""
        redis:
          url: redis://cache:6379
          username: jobs
          sentinel:
            username: watcher
        """);

    assertThat(problems(file, Map.of())).contains(
        "redis.username needs a password: set redis.password (or user:password in redis.url)",
        "redis.sentinel.username needs a password: set redis.sentinel.password");
    assertThat(ConfigLoader.load(yaml("""
        redis:
          url: redis://old:secret@cache:6379
          username: jobs
        """), Map.of()).get(ConfigKeys.REDIS_USERNAME)).isEqualTo("jobs");
    assertThat(ConfigLoader.load(yaml("""
        redis:
          url: redis://cache:6379
        """), Map.of("WORKQUEUE_REDIS_USERNAME", "jobs", "WORKQUEUE_REDIS_PASSWORD", "s3cret"))
        .get(ConfigKeys.REDIS_USERNAME)).isEqualTo("jobs");
  }

  @Test
  void sentinelCredentialsAreKeptApartFromTheMastersAndNeedASentinel() throws Exception {
    RunnerConfig sentinel = ConfigLoader.load(yaml("""
        redis:
          password: master-secret
          sentinel:
            master: jobs
            nodes: [10.0.0.1:26379]
            username: watcher
            password: sentinel-secret
        """), Map.of());
    assertThat(sentinel.get(ConfigKeys.REDIS_SENTINEL_USERNAME)).isEqualTo("watcher");
    assertThat(sentinel.get(ConfigKeys.REDIS_SENTINEL_PASSWORD)).isEqualTo("sentinel-secret");
    assertThat(sentinel.get(ConfigKeys.REDIS_PASSWORD)).isEqualTo("master-secret");
    assertThat(sentinel.redactedTree().toString()).doesNotContain("sentinel-secret", "master-secret");

    assertThat(problems(null, Map.of("WORKQUEUE_REDIS_URL", "redis://cache:6379",
        "WORKQUEUE_REDIS_SENTINEL_PASSWORD", "sentinel-secret"))).containsExactly(
        "redis.sentinel.password (set by WORKQUEUE_REDIS_SENTINEL_PASSWORD) applies only to Sentinels; "
            + "set redis.sentinel.master and redis.sentinel.nodes or remove it");
  }

  @Test
  void handlerMayNameAJobHandlerClassOnTheClassPath() {
    RunnerConfig config = ConfigLoader.load(null,
        Map.of("WORKQUEUE_WORKER_HANDLER", CountingHandler.class.getName()));
    assertThat(config.get(ConfigKeys.WORKER_HANDLER)).isEqualTo(CountingHandler.class.getName());

    assertThat(problems(null, Map.of("WORKQUEUE_WORKER_HANDLER", "java.lang.String")))
        .singleElement().asString().startsWith("worker.handler (set by WORKQUEUE_WORKER_HANDLER) must be one "
            + "of log, exec, files, or the name of a public class implementing dev.workqueue.JobHandler");
  }

  @Test
  void handlerClassWithoutAPublicNoArgumentConstructorIsRejectedWhenLoaded() {
    for (Class<?> type : List.of(ConfiguredHandler.class, HiddenConstructorHandler.class)) {
      assertThat(problems(null, Map.of("WORKQUEUE_WORKER_HANDLER", type.getName())))
          .as(type.getSimpleName()).singleElement().asString()
          .startsWith("worker.handler (set by WORKQUEUE_WORKER_HANDLER) must be one of log, exec, files, or "
              + "the name of a public class implementing dev.workqueue.JobHandler with a public "
              + "no-argument constructor, but was \"" + type.getName() + "\"");
    }
  }

  @Test
  void sectionGivenAsAScalarAndUnreadableYamlAreReported() throws Exception {
    assertThat(problems(yaml("worker: 5\n"), Map.of())).singleElement().asString()
        .startsWith("worker must be a section with keys [circuit_breaker, concurrency");
    assertThat(problems(yaml("worker:\n  concurrency: 1\n  concurrency: 2\n"), Map.of()))
        .singleElement().asString().contains("is not valid YAML").contains("duplicate key");
    assertThat(problems(dir.resolve("missing.yaml"), Map.of())).singleElement().asString()
        .contains("cannot be read");
  }

  /** The JDK's message was only the path, or the parser's a Java exception called a YAML error. */
  @Test
  void aConfigFileThatCannotBeReadIsReportedWithTheReasonInWords() throws Exception {
    Path missing = dir.resolve("missing.yaml");
    assertThat(problems(missing, Map.of()))
        .containsExactly("config file " + missing + " cannot be read: no such file");
    Path binary = Files.write(dir.resolve("binary.yaml"), new byte[] {'a', ':', ' ', (byte) 0xff, '\n'});
    assertThat(problems(binary, Map.of()))
        .containsExactly("config file " + binary + " cannot be read: it is not UTF-8 text");
    assertThat(problems(dir, Map.of())).singleElement().asString()
        .startsWith("config file " + dir + " cannot be read: ").doesNotContain("YAML", "java.");
  }

  @Test
  void logFormatIsTextByDefaultJsonWhenAskedAndAnythingElseIsReportedWithTheOtherProblems() throws Exception {
    assertThat(ConfigLoader.load(null, Map.of()).get(ConfigKeys.LOG_FORMAT)).isEqualTo("text");
    assertThat(ConfigLoader.load(null, Map.of("WORKQUEUE_LOG_FORMAT", "JSON")).get(ConfigKeys.LOG_FORMAT))
        .isEqualTo("json");
    Path file = yaml("""
        log:
          level: verbose
          format: xml
          formt: json
        """);

    assertThat(problems(file, Map.of())).containsExactlyInAnyOrder(
        "log.formt is not a known key; known keys under log: format, level",
        "log.level must be one of error, warn, info, debug, trace, but was \"verbose\"",
        "log.format must be one of text, json, but was \"xml\"");
    assertThat(problems(null, Map.of("WORKQUEUE_LOG_FORMAT", "logfmt"))).containsExactly(
        "log.format (set by WORKQUEUE_LOG_FORMAT) must be one of text, json, but was \"logfmt\"");
  }

  @Test
  void metricsQueueTagsAreDistinctQueueNamesOtherThanTheTagValuesOfFoldedQueues() throws Exception {
    RunnerConfig config = ConfigLoader.load(yaml("""
        metrics:
          queue_tags: [emails, other]
          folded_queue_buckets: 4
        """), Map.of());
    assertThat(config.get(ConfigKeys.METRICS_QUEUE_TAGS)).containsExactly("emails", "other");
    assertThat(config.get(ConfigKeys.METRICS_FOLDED_QUEUE_BUCKETS)).isEqualTo(4);
    assertThat(ConfigLoader.load(null, Map.of()).get(ConfigKeys.METRICS_QUEUE_TAGS)).isNull();
    assertThat(ConfigLoader.load(yaml("metrics:\n  queue_tags: []\n"), Map.of())
        .get(ConfigKeys.METRICS_QUEUE_TAGS)).isEmpty();

    assertThat(problems(yaml("""
        metrics:
          queue_tags: [emails, emails, " reports"]
          folded_queue_buckets: 1001
        """), Map.of())).containsExactlyInAnyOrder(
        "metrics.queue_tags must be a list of distinct names of " + NAME_RULE
            + ", but was [emails, emails,  reports]",
        "metrics.folded_queue_buckets must be an integer from 1 to 1000, but was 1001");
    assertThat(problems(null, Map.of("WORKQUEUE_METRICS_QUEUE_TAGS", "emails,other"))).containsExactly(
        "metrics.queue_tags (set by WORKQUEUE_METRICS_QUEUE_TAGS) must be queue names other than "
            + "\"other\", the tag value of folded queues (metrics.folded_queue_buckets: 1), "
            + "but was [emails, other]");
    assertThat(problems(yaml("""
        metrics:
          queue_tags: [other-2]
          folded_queue_buckets: 3
        """), Map.of())).containsExactly("metrics.queue_tags must be queue names other than "
            + "\"other-0\" to \"other-2\", the tag values of folded queues "
            + "(metrics.folded_queue_buckets: 3), but was [other-2]");
  }

  @Test
  void everyKeyHasItsOwnEnvironmentVariableAndAValidDefault() {
    Set<String> names = new HashSet<>();
    for (ConfigKey<?> key : ConfigKeys.all()) {
      assertThat(names.add(key.envName())).as(key.envName()).isTrue();
      assertThat(key.envName()).matches("WORKQUEUE_[A-Z0-9_]+");
    }
    assertThat(ConfigKeys.WORKER_EXEC_TIMEOUT.envName()).isEqualTo("WORKQUEUE_WORKER_EXEC_TIMEOUT");
    assertThat(ConfigKeys.REDIS_URL.envName()).isEqualTo("WORKQUEUE_REDIS_URL");
  }

  /** A handler class for the class-name test. */
  public static final class CountingHandler implements dev.workqueue.JobHandler {
    @Override
    public void handle(dev.workqueue.Job job) {}
  }

  /** A handler the runner cannot create: its only constructor takes an argument. */
  public static final class ConfiguredHandler implements dev.workqueue.JobHandler {
    public ConfiguredHandler(String setting) {}

    @Override
    public void handle(dev.workqueue.Job job) {}
  }

  /** A handler the runner cannot create: its no-argument constructor is not public. */
  public static final class HiddenConstructorHandler implements dev.workqueue.JobHandler {
    HiddenConstructorHandler() {}

    @Override
    public void handle(dev.workqueue.Job job) {}
  }
}
