package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.testkit.redis.RedisCluster;
import dev.workqueue.testkit.redis.RedisSentinel;
import dev.workqueue.testkit.redis.RedisServer;
import dev.workqueue.testkit.redis.RequiresRedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The runner jar against a Sentinel-managed master and against a Redis Cluster, configured only
 * through their keys: enqueue, a worker that becomes ready and works the jobs off, admin stats.
 */
@RequiresRedisServer
class RedisTopologiesIT {
  private static final int JOBS = 20;

  @TempDir
  Path dir;

  @Test
  void workerFindsTheMasterThroughSentinel() throws Exception {
    try (RedisServer master = RedisServer.builder().start();
        RedisSentinel sentinel = RedisSentinel.monitor("runner-master", master)) {
      enqueueWorkAndCount("sentinel-jobs", Map.of(
          "WORKQUEUE_REDIS_SENTINEL_MASTER", "runner-master",
          "WORKQUEUE_REDIS_SENTINEL_NODES", sentinel.address()));
      assertThat(master.command("DBSIZE")).as("keys on the master Sentinel named").isNotEqualTo(":0");
    }
  }

  @Test
  void workerAuthenticatesToSentinelsAndMasterSeparately() throws Exception {
    try (RedisServer master = RedisServer.builder().password("master-secret").start();
        RedisSentinel sentinel = RedisSentinel.monitor("guarded-master", master, "sentinel-secret")) {
      enqueueWorkAndCount("guarded-jobs", Map.of(
          "WORKQUEUE_REDIS_SENTINEL_MASTER", "guarded-master",
          "WORKQUEUE_REDIS_SENTINEL_NODES", sentinel.address(),
          "WORKQUEUE_REDIS_SENTINEL_PASSWORD", "sentinel-secret",
          "WORKQUEUE_REDIS_PASSWORD", "master-secret"));
      assertThat(master.command("DBSIZE")).as("keys on the master Sentinel named").isNotEqualTo(":0");
    }
  }

  /** Jedis reports a refused Sentinel password as "All sentinels down"; the runner names the refusal. */
  @Test
  void workerGivenAWrongSentinelPasswordExitsTwoNamingTheRefusal() throws Exception {
    try (RedisServer master = RedisServer.builder().start();
        RedisSentinel sentinel = RedisSentinel.monitor("refusing-master", master, "sentinel-secret");
        RunnerJar.Child worker = RunnerJar.start(dir, Map.of(
            "WORKQUEUE_REDIS_SENTINEL_MASTER", "refusing-master",
            "WORKQUEUE_REDIS_SENTINEL_NODES", sentinel.address(),
            "WORKQUEUE_REDIS_SENTINEL_PASSWORD", "not-the-password",
            "WORKQUEUE_HTTP_ENABLED", "false"), "worker")) {
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isEqualTo(2);
      assertThat(lastLine(worker))
          .startsWith("error: backend refused: redis connect failed: Sentinel " + sentinel.address()
              + " refused ")
          .contains("WRONGPASS").doesNotContain("redis.clients", "not-the-password");
    }
  }

  /** A Sentinel that is down is an outage, as before: the runner exits 1 saying so. */
  @Test
  void workerGivenNoReachableSentinelExitsOneSayingTheBackendIsUnavailable() throws Exception {
    try (RunnerJar.Child worker = RunnerJar.start(dir, Map.of(
        "WORKQUEUE_REDIS_SENTINEL_MASTER", "absent-master",
        "WORKQUEUE_REDIS_SENTINEL_NODES", "127.0.0.1:" + RedisServer.freePort(),
        "WORKQUEUE_HTTP_ENABLED", "false"), "worker")) {
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isEqualTo(1);
      assertThat(lastLine(worker)).startsWith("backend unavailable: redis unavailable during connect: ")
          .doesNotContain("redis.clients");
    }
  }

  /**
   * The Sentinel listener's subscription waits for failover notices with no read timeout: it used
   * the blocking-command timeout (socket timeout + 5 s), dropped whenever no notice came, logged a
   * WARN with a stack trace and slept 5 s, deaf to failovers. Waits until one subscription has
   * lived well past that old drop interval (5.2 s here), which it never did before.
   */
  @Test
  void idleWorkerKeepsItsSentinelSubscriptionWithoutWarnings() throws Exception {
    try (RedisServer master = RedisServer.builder().start();
        RedisSentinel sentinel = RedisSentinel.monitor("idle-master", master);
        Jedis sentinelClient = new Jedis(sentinel.host(), sentinel.port());
        RunnerJar.Child worker = RunnerJar.start(dir, Map.of(
            "WORKQUEUE_REDIS_SENTINEL_MASTER", "idle-master",
            "WORKQUEUE_REDIS_SENTINEL_NODES", sentinel.address(),
            "WORKQUEUE_REDIS_SOCKET_TIMEOUT", "200ms",
            "WORKQUEUE_WORKER_HANDLER", "log", "WORKQUEUE_HTTP_ENABLED", "false"), "worker")) {
      Pattern subscribedFor = Pattern.compile("age=(\\d+) .*cmd=subscribe");
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        if (!worker.process().isAlive()) {
          throw new AssertionError("runner exited with " + worker.exitCode() + ":\n" + worker.stderr());
        }
        return sentinelClient.clientList().lines().map(subscribedFor::matcher).filter(Matcher::find)
            .anyMatch(subscription -> Integer.parseInt(subscription.group(1)) >= 12);
      });
      worker.terminate();
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isZero();
      assertThat(worker.stderr()).doesNotContain("Lost connection to Sentinel", "WARN");
    }
  }

  /** The worker follows the Sentinel listener's notice to the promoted replica, idle until then. */
  @Test
  void workerFollowsAFailoverToThePromotedReplica() throws Exception {
    try (RedisServer master = RedisServer.builder().start();
        RedisServer replica = RedisServer.builder()
            .options("--replicaof", master.host(), Integer.toString(master.port())).start();
        RedisSentinel sentinel = RedisSentinel.monitor("failing-master", master)) {
      int port = RedisServer.freePort();
      Map<String, String> env = Map.of("WORKQUEUE_REDIS_SENTINEL_MASTER", "failing-master",
          "WORKQUEUE_REDIS_SENTINEL_NODES", sentinel.address(), "WORKQUEUE_QUEUE_NAME", "failover-jobs",
          "WORKQUEUE_WORKER_HANDLER", "log", "WORKQUEUE_HTTP_PORT", Integer.toString(port));
      try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
        worker.awaitHealthy(port);
        await().atMost(Duration.ofSeconds(30)).until(() -> RunnerJar.status(port, "/readyz") == 200);

        master.kill();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
            .until(() -> sentinel.masterPort() == replica.port());
        // Until the promoted replica accepts writes, an enqueue fails and is tried again.
        await().atMost(Duration.ofSeconds(60))
            .until(() -> RunnerJar.run(dir, env, "", "enqueue", "--payload", "after").exitCode() == 0);

        await().atMost(Duration.ofSeconds(60)).until(() -> field(env, "failover-jobs", "completed") == 1);
        assertThat(replica.command("DBSIZE")).as("keys on the promoted replica").isNotEqualTo(":0");
        worker.terminate();
        assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isZero();
      }
    }
  }

  /** Given one node of three, the runner discovers the others and reaches the queue's own. */
  @Test
  void workerRunsOnARedisCluster() throws Exception {
    try (RedisCluster cluster = RedisCluster.start(3)) {
      RedisServer first = cluster.nodes().get(0);
      enqueueWorkAndCount("cluster-jobs",
          Map.of("WORKQUEUE_REDIS_CLUSTER_NODES", first.host() + ":" + first.port()));
    }
  }

  /** Jedis hides why no node answered; the runner names it, and tells a refusal from an outage. */
  @Test
  void workerGivenAWrongClusterPasswordExitsTwoNamingTheCause() throws Exception {
    try (RedisCluster cluster = RedisCluster.start(3)) {
      for (RedisServer node : cluster.nodes()) {
        node.command("CONFIG", "SET", "requirepass", "right");
      }
      RedisServer first = cluster.nodes().get(0);
      try (RunnerJar.Child worker = RunnerJar.start(dir, Map.of(
          "WORKQUEUE_REDIS_CLUSTER_NODES", first.host() + ":" + first.port(),
          "WORKQUEUE_REDIS_PASSWORD", "not-the-password", "WORKQUEUE_HTTP_ENABLED", "false"), "worker")) {
        assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isEqualTo(2);
        assertThat(lastLine(worker)).startsWith("error: backend refused: redis connect failed: ")
            .contains("WRONGPASS").doesNotContain("redis.clients", "not-the-password");
      }
    }
  }

  @Test
  void workerGivenNoReachableClusterNodeExitsOneSayingTheBackendIsUnavailable() throws Exception {
    try (RunnerJar.Child worker = RunnerJar.start(dir, Map.of(
        "WORKQUEUE_REDIS_CLUSTER_NODES", "127.0.0.1:" + RedisServer.freePort(),
        "WORKQUEUE_HTTP_ENABLED", "false"), "worker")) {
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isEqualTo(1);
      assertThat(lastLine(worker)).startsWith("backend unavailable: redis unavailable during connect: ")
          .doesNotContain("redis.clients");
    }
  }

  private static String lastLine(RunnerJar.Child child) {
    return child.stderr().lines().reduce((previous, last) -> last).orElse("");
  }

  private void enqueueWorkAndCount(String queue, Map<String, String> redis) throws Exception {
    int port = RedisServer.freePort();
    Map<String, String> env = new HashMap<>(redis);
    env.put("WORKQUEUE_QUEUE_NAME", queue);
    env.put("WORKQUEUE_WORKER_HANDLER", "log");
    env.put("WORKQUEUE_HTTP_PORT", Integer.toString(port));
    String lines = IntStream.range(0, JOBS).mapToObj(i -> "{\"payload\": \"job-" + i + "\"}\n")
        .collect(Collectors.joining());
    RunnerJar.Child enqueue = RunnerJar.run(dir, env, lines, "enqueue");
    assertThat(enqueue.exitCode()).as(enqueue.stderr()).isZero();
    assertThat(enqueue.stdout().lines()).hasSize(JOBS);

    try (RunnerJar.Child worker = RunnerJar.start(dir, env, "worker")) {
      worker.awaitHealthy(port);
      await().atMost(Duration.ofSeconds(30)).until(() -> RunnerJar.status(port, "/readyz") == 200);
      await().atMost(Duration.ofSeconds(60)).until(() -> field(env, queue, "completed") == JOBS);
      assertThat(field(env, queue, "waiting")).isZero();
      assertThat(field(env, queue, "dead")).isZero();
      worker.terminate();
      assertThat(worker.awaitExit(Duration.ofSeconds(60))).as(worker.stderr()).isZero();
      // Jedis's advice to its programmer, on every connection to a Sentinel that names no protocol
      assertThat(worker.stderr()).doesNotContain("auto-negotiation");
    }
  }

  private long field(Map<String, String> env, String queue, String field) throws Exception {
    RunnerJar.Child stats = RunnerJar.run(dir, env, "", "admin", "stats", "--json");
    assertThat(stats.exitCode()).as(stats.stderr()).isZero();
    return AdminJson.queueField(stats.stdout(), queue, field);
  }
}
