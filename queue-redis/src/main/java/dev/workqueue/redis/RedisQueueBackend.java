package dev.workqueue.redis;

import dev.workqueue.BackendClosedException;
import dev.workqueue.DeadLetter;
import dev.workqueue.EnqueueResult;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.QueueException;
import dev.workqueue.QueueStats;
import dev.workqueue.internal.Problems;
import dev.workqueue.redis.internal.FetchInterrupter;
import dev.workqueue.redis.internal.JobCodec;
import dev.workqueue.redis.internal.QueueKeys;
import dev.workqueue.redis.internal.QueueScript;
import dev.workqueue.redis.internal.RedisFailures;
import dev.workqueue.redis.internal.RedisUrl;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.FetchResult;
import dev.workqueue.spi.Lease;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.PoisonedEntry;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.Settlement;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocketFactory;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A {@link QueueBackend} on Redis through Jedis: every state transition is one Lua script run
 * with EVALSHA, every key of a queue shares the queue's hash tag, and idle fetches block on the
 * server with BLPOP instead of polling. The key schema, the scripts and the guarantees are
 * described in {@code docs/redis-backend.md}.
 *
 * <pre>{@code
 * try (RedisQueueBackend backend = RedisQueueBackend.builder()
 *     .url("rediss://redis.internal:6380/0").username("app").password(secret).build()) {
 *   Producer producer = Producer.builder(backend).build();
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. Connection failures, timeouts and "loading"/failover replies throw
 * {@link dev.workqueue.BackendUnavailableException}; other Redis errors throw
 * {@link dev.workqueue.QueueException}. Jedis types never cross the {@link QueueBackend} methods.
 */
public final class RedisQueueBackend implements QueueBackend {
  /** Default {@link Builder#url(String)}: {@value}. */
  public static final String DEFAULT_URL = "redis://localhost:6379";
  /** Default {@link Builder#namespace(String)}: {@value}. */
  public static final String DEFAULT_NAMESPACE = "wq";
  /** Default {@link Builder#poolSize(int)}: {@value}. */
  public static final int DEFAULT_POOL_SIZE = 16;
  /** Default {@link Builder#connectTimeout(Duration)}: 2 seconds. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /** Default timeout of {@link Builder#waitForReplicas(int, Duration)}, in milliseconds. */
  public static final long DEFAULT_REPLICA_WAIT_MILLIS = 1_000;
  private static final Duration DEFAULT_REPLICA_WAIT = Duration.ofMillis(DEFAULT_REPLICA_WAIT_MILLIS);
  /** Default {@link Builder#socketTimeout(Duration)}: 2 seconds. */
  public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(2);
  /** Default {@link Builder#completedHistorySize(int)}: {@value}. */
  public static final int DEFAULT_COMPLETED_HISTORY_SIZE = 1_000;
  /** Default {@link Builder#completedHistoryAge(Duration)}: 1 hour. */
  public static final Duration DEFAULT_COMPLETED_HISTORY_AGE = Duration.ofHours(1);
  /** Default {@link Builder#deadLetterLimit(int)}: {@value}, in effect no limit. */
  public static final int DEFAULT_DEAD_LETTER_LIMIT = Integer.MAX_VALUE;
  /** Default {@link Builder#deadLetterAge(Duration)}: 3650 days, in effect no limit. */
  public static final Duration DEFAULT_DEAD_LETTER_AGE = Problems.LONGEST_RETENTION;

  private static final Logger log = LoggerFactory.getLogger(RedisQueueBackend.class);
  /**
   * Longest single BLPOP of an idle fetch; a longer fetch wait blocks again. A caller-owned
   * client must give its blocking commands a read timeout of its socket timeout plus this (Jedis:
   * {@code blockingSocketTimeoutMillis}); Jedis's default of none would leave a fetch blocked on a
   * frozen or unreachable server until TCP gives up, hours later.
   */
  public static final Duration LONGEST_BLOCKING_WAIT = Duration.ofSeconds(5);
  private static final long MAX_BLOCK_MILLIS = LONGEST_BLOCKING_WAIT.toMillis();
  /** Most due delayed jobs one fetch promotes; the next fetch promotes the rest. */
  private static final byte[] PROMOTE_LIMIT = ascii(1_000);
  private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final byte[] EMPTY = new byte[0];
  private static final byte[] IMMEDIATE = ascii(0);
  private static final byte[] KIND_ACK = ascii("A");
  private static final byte[] KIND_RETRY = ascii("R");
  private static final byte[] KIND_DEAD = ascii("D");
  private static final byte[] KIND_RELEASE = ascii("L");
  private static final byte[] KIND_POISON = ascii("P");
  private static final byte[] UNDECODABLE = ascii("undecodable");
  private static final byte[] INTERRUPT_TOKEN = ascii("interrupt");
  private static final long INTERRUPT_TOKEN_TTL_MILLIS = 10_000;
  /** Elements one call of a walk over a lane, the delayed set or the dead letters looks at. */
  private static final int SCAN_WINDOW = 1_000;
  private static final byte[] SCAN_WINDOW_ARG = ascii(SCAN_WINDOW);

  private final UnifiedJedis redis;
  private final UnifiedJedis blocking;
  private final boolean ownsClients;
  /** {@code host:port} of the URL for messages; null with a caller-given client. */
  private final String server;
  private final String namespace;
  private final byte[] historySize;
  private final byte[] historyAgeMillis;
  private final byte[] deadLetterLimit;
  /** 0 for the longest age, which the scripts take as none: no TTL on the dead list. */
  private final byte[] deadLetterAgeMillis;
  private final int replicasToWaitFor;
  private final long replicaWaitMillis;
  private final Set<String> registered = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean evictionPolicyChecked = new AtomicBoolean();
  private final FetchInterrupter interrupter;

  private RedisQueueBackend(UnifiedJedis redis, UnifiedJedis blocking, String server, Builder builder) {
    this.redis = redis;
    this.blocking = blocking;
    this.ownsClients = server != null;
    this.server = server;
    this.namespace = builder.namespace;
    this.historySize = ascii(builder.completedHistorySize);
    this.historyAgeMillis = ascii(builder.completedHistoryAge.toMillis());
    this.deadLetterLimit = ascii(builder.deadLetterLimit);
    this.deadLetterAgeMillis = ascii(builder.deadLetterAge.compareTo(Problems.LONGEST_RETENTION) < 0
        ? Math.max(1, builder.deadLetterAge.toMillis()) : 0);
    this.interrupter = new FetchInterrupter(this::wakeInterruptedFetch);
    this.replicasToWaitFor = builder.replicasToWaitFor;
    this.replicaWaitMillis = builder.replicaWait.toMillis();
  }

  /** Starts from the defaults: {@value #DEFAULT_URL}, namespace {@value #DEFAULT_NAMESPACE}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The prefix of every key this backend writes. */
  public String namespace() {
    return namespace;
  }

  // ---- enqueue --------------------------------------------------------------------------

  @Override
  public List<EnqueueResult> enqueue(List<Job> jobs, Duration idempotencyTtl) {
    checkOpen();
    EnqueueResult[] results = new EnqueueResult[jobs.size()];
    Map<String, List<Integer>> groups = byQueue(jobs.size(), i -> jobs.get(i).queue());
    // Every job is encoded before the first queue's script runs: an invalid job stores nothing.
    Map<String, List<byte[]>> argsByQueue = new LinkedHashMap<>();
    for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
      argsByQueue.put(group.getKey(), enqueueArgs(keys(group.getKey()), jobs, group.getValue(), idempotencyTtl));
    }
    for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
      QueueKeys queue = keys(group.getKey());
      List<Integer> indexes = group.getValue();
      List<byte[]> args = argsByQueue.get(group.getKey());
      register(queue);
      List<?> reply = runEnqueue(queue, args, indexes.size());
      for (int i = 0; i < indexes.size(); i++) {
        byte[] earlier = (byte[]) reply.get(i);
        Job job = jobs.get(indexes.get(i));
        results[indexes.get(i)] = earlier.length == 0 ? new EnqueueResult(job.id(), true)
            : new EnqueueResult(new String(earlier, StandardCharsets.UTF_8), false);
      }
      if ((Long) reply.get(indexes.size()) == 1L) {
        reregister(queue);
      }
    }
    checkEvictionPolicy();
    return Arrays.asList(results);
  }

  /** The enqueue script's reply, once as many replicas as asked for have its writes. */
  private List<?> runEnqueue(QueueKeys queue, List<byte[]> args, int jobs) {
    List<byte[]> keys = List.of(queue.delayed(), queue.lanes());
    if (replicasToWaitFor == 0) {
      return (List<?>) call("enqueue", () -> QueueScript.ENQUEUE.run(redis, keys, args));
    }
    Replicated stored = call("enqueue", () -> {
      try {
        return enqueueAndWait(keys, args);
      } catch (JedisNoScriptException e) {
        QueueScript.ENQUEUE.load(redis, queue.delayed());
        return enqueueAndWait(keys, args);
      }
    });
    if (stored.replicas() < replicasToWaitFor) {
      throw new NotReplicatedException("redis enqueue of " + jobs + " job(s) to queue " + queue.queue()
          + " reached " + stored.replicas() + " of " + replicasToWaitFor + " replica(s) within "
          + replicaWaitMillis + "ms: the jobs are stored on the master, which could lose them if it failed "
          + "over now; enqueue them again (idempotency keys make that safe)");
    }
    return stored.reply();
  }

  private record Replicated(List<?> reply, long replicas) {}

  /**
   * Runs the enqueue script and WAIT in one pipeline: WAIT counts the replicas that have the
   * writes of its own connection, so it must follow the script on the same one.
   */
  private Replicated enqueueAndWait(List<byte[]> keys, List<byte[]> args) {
    Response<Object> reply;
    Response<Long> replicas;
    try (AbstractPipeline pipeline = redis.pipelined()) {
      reply = pipeline.evalsha(QueueScript.ENQUEUE.sha(), keys, args);
      replicas = pipeline.waitReplicas(keys.get(0), replicasToWaitFor, replicaWaitMillis);
      pipeline.sync();
    }
    return new Replicated((List<?>) reply.get(), replicas.get());
  }

  private static List<byte[]> enqueueArgs(QueueKeys queue, List<Job> jobs, List<Integer> indexes,
      Duration idempotencyTtl) {
    List<byte[]> args = new ArrayList<>(4 + indexes.size() * 5);
    args.add(queue.lanePrefix());
    args.add(queue.notifyPrefix());
    args.add(queue.idempotencyPrefix());
    args.add(ascii(Math.max(1, idempotencyTtl.toMillis())));
    for (int index : indexes) {
      Job job = jobs.get(index);
      args.add(utf8(job.priority()));
      args.add(utf8(job.id()));
      args.add(job.idempotencyKey() == null ? EMPTY : JobCodec.utf8(job.idempotencyKey(), "idempotencyKey"));
      // Immediate jobs (runAt == createdAt) go to their lane whatever the server's clock says.
      args.add(job.runAt().isAfter(job.createdAt()) ? ascii(job.runAt().toEpochMilli()) : IMMEDIATE);
      args.add(JobCodec.encode(job));
    }
    return args;
  }

  /** Adds the queue to the registry before its first enqueue through this backend. */
  private void register(QueueKeys queue) {
    if (!registered.contains(queue.queue())) {
      call("enqueue", () -> redis.sadd(QueueKeys.registry(namespace), utf8(queue.queue())));
      registered.add(queue.queue());
    }
  }

  /**
   * A lane was new to the queue, so the registry may have lost the queue too (Redis restarted
   * without persistence): add it again. The jobs are stored already, so a failure here must not
   * fail the enqueue; the next enqueue registers the queue first instead.
   */
  private void reregister(QueueKeys queue) {
    try {
      redis.sadd(QueueKeys.registry(namespace), utf8(queue.queue()));
    } catch (RuntimeException e) {
      registered.remove(queue.queue());
      log.warn("could not record queue {} in the registry ({}); the next enqueue will", queue.queue(),
          e.getMessage());
    }
  }

  // ---- fetch ----------------------------------------------------------------------------

  @Override
  public FetchResult fetch(FetchRequest request) throws InterruptedException {
    checkOpen();
    QueueKeys queue = keys(request.queue());
    List<String> priorities = request.priorities();
    List<byte[]> scriptKeys = new ArrayList<>(6 + priorities.size());
    scriptKeys.add(queue.leases());
    scriptKeys.add(queue.deadlines());
    scriptKeys.add(queue.delayed());
    scriptKeys.add(queue.sequence());
    scriptKeys.add(queue.dead());
    scriptKeys.add(queue.paused());
    List<byte[]> args = new ArrayList<>(8 + priorities.size());
    args.add(ascii(request.maxJobs()));
    args.add(ascii(Math.max(1, request.leaseDuration().toMillis())));
    args.add(queue.lanePrefix());
    args.add(queue.notifyPrefix());
    args.add(PROMOTE_LIMIT);
    args.add(deadLetterLimit);
    args.add(deadLetterAgeMillis);
    args.add(queue.idempotencyPrefix());
    byte[][] notifyKeys = new byte[priorities.size()][];
    for (int i = 0; i < priorities.size(); i++) {
      scriptKeys.add(queue.lane(priorities.get(i)));
      args.add(utf8(priorities.get(i)));
      notifyKeys[i] = queue.notify(priorities.get(i));
    }
    long waitUntil = System.nanoTime() + request.maxWait().toNanos();
    List<?> reply = (List<?>) call("fetch", () -> QueueScript.FETCH.run(redis, scriptKeys, args));
    checkEvictionPolicy();
    while (true) {
      FetchResult result = taken(queue, request, reply);
      if (!result.isEmpty()) {
        return result;
      }
      long now = (Long) reply.get(0);
      long nextDue = (Long) reply.get(2);
      long block = Math.min((waitUntil - System.nanoTime()) / 1_000_000, MAX_BLOCK_MILLIS);
      if (nextDue >= 0 && nextDue - now < block) {
        block = Math.max(1, nextDue - now);
      }
      if (block < 1) {
        return FetchResult.empty();
      }
      if (Thread.interrupted()) {
        throw new InterruptedException("interrupted before blocking for jobs of queue " + queue.queue());
      }
      reply = blockThenFetch(block / 1000.0, waitKeys(queue, notifyKeys), scriptKeys, args);
    }
  }

  /** The lanes' wake-up lists plus a list of this wait's own, which an interrupt pushes to. */
  private byte[][] waitKeys(QueueKeys queue, byte[][] notifyKeys) {
    byte[][] waitKeys = Arrays.copyOf(notifyKeys, notifyKeys.length + 1);
    waitKeys[notifyKeys.length] = queue.interruptList(interrupter.nextWaitId());
    return waitKeys;
  }

  /**
   * Waits for a wake-up token (or the timeout), then runs the fetch script. On connections this
   * backend owns both go in one pipeline: Redis runs the script the moment BLPOP returns, without
   * a round trip to the client in between. The blocking pool's read timeout covers the wait.
   * While it waits, an interrupt of the calling thread ends the wait within {@link
   * FetchInterrupter#CHECK_INTERVAL} (see there).
   */
  private List<?> blockThenFetch(double seconds, byte[][] waitKeys, List<byte[]> keys, List<byte[]> args) {
    try (FetchInterrupter.Blocked ignored = interrupter.blocking(waitKeys[waitKeys.length - 1])) {
      return blockedFetch(seconds, waitKeys, keys, args);
    }
  }

  private List<?> blockedFetch(double seconds, byte[][] waitKeys, List<byte[]> keys, List<byte[]> args) {
    if (!ownsClients) {
      call("fetch", () -> blocking.blpop(seconds, waitKeys));
      return (List<?>) call("fetch", () -> QueueScript.FETCH.run(redis, keys, args));
    }
    return (List<?>) call("fetch", () -> {
      Response<Object> fetched;
      try (AbstractPipeline pipeline = blocking.pipelined()) {
        pipeline.blpop(seconds, waitKeys);
        fetched = pipeline.evalsha(QueueScript.FETCH.sha(), keys, args);
        pipeline.sync();
      }
      try {
        return fetched.get();
      } catch (JedisNoScriptException e) {
        return QueueScript.FETCH.run(redis, keys, args);
      }
    });
  }

  private FetchResult taken(QueueKeys queue, FetchRequest request, List<?> reply) {
    Instant deadline = Instant.ofEpochMilli((Long) reply.get(1));
    long firstToken = (Long) reply.get(3);
    int count = ((Long) reply.get(4)).intValue();
    if (count == 0 && reply.size() == 5) {
      return FetchResult.empty();
    }
    List<LeasedJob> jobs = new ArrayList<>(count);
    List<PoisonedEntry> poisoned = new ArrayList<>();
    List<byte[]> undecodable = settleArgs(queue, 0);
    for (int i = 0; i < count; i++) {
      byte[] element = (byte[]) reply.get(5 + i);
      String token = Long.toString(firstToken + i);
      try {
        Job job = JobCodec.decodeLeased(element, queue.queue());
        jobs.add(new LeasedJob(job, new Lease(job.id(), queue.queue(), token, deadline)));
      } catch (JobCodec.UndecodableException e) {
        // Dead-lettered by token alone: the id in data that does not decode cannot be trusted.
        undecodable.addAll(List.of(KIND_POISON, utf8(token), EMPTY, UNDECODABLE, utf8(e.getMessage()),
            ascii(System.currentTimeMillis())));
        String id = JobCodec.readId(element);
        poisoned.add(new PoisonedEntry(id != null ? id : JobCodec.undecodableId(element), queue.queue(),
            e.getMessage()));
      }
    }
    if (jobs.size() < count && !deadLetterUndecodable(queue, undecodable)) {
      poisoned.clear();
    }
    for (int i = 5 + count; i + 1 < reply.size(); i += 2) {
      poisoned.add(new PoisonedEntry(string(reply.get(i)), queue.queue(), string(reply.get(i + 1))));
    }
    if (!poisoned.isEmpty()) {
      log.error("moved {} undecodable entries of queue {} to the dead-letter queue", poisoned.size(),
          request.queue());
    }
    return new FetchResult(jobs, poisoned);
  }

  /**
   * Dead-letters the leased entries that did not decode; false when that failed. The jobs taken
   * with them are leased already, so the fetch must hand them out anyway: the undecodable
   * entries keep their leases, which expire, and recovery dead-letters or offers them again.
   */
  private boolean deadLetterUndecodable(QueueKeys queue, List<byte[]> settleArgs) {
    try {
      runSettle(queue, settleArgs);
      return true;
    } catch (QueueException e) {
      log.warn("could not dead-letter undecodable entries of queue {} ({}); they are retried when their "
          + "leases expire", queue.queue(), e.getMessage());
      return false;
    }
  }

  // ---- settle and leases ----------------------------------------------------------------

  @Override
  public List<Boolean> settle(List<Settlement> settlements) {
    checkOpen();
    Boolean[] accepted = new Boolean[settlements.size()];
    var groups = byQueue(settlements.size(), i -> settlements.get(i).lease().queue());
    for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
      QueueKeys queue = keys(group.getKey());
      List<byte[]> args = settleArgs(queue, group.getValue().size());
      for (int index : group.getValue()) {
        addSettlement(args, settlements.get(index));
      }
      List<?> reply = runSettle(queue, args);
      for (int i = 0; i < group.getValue().size(); i++) {
        accepted[group.getValue().get(i)] = (Long) reply.get(i) == 1L;
      }
    }
    return Arrays.asList(accepted);
  }

  /** The arguments every settle call starts with; room for {@code settlements} more follows. */
  private List<byte[]> settleArgs(QueueKeys queue, int settlements) {
    List<byte[]> args = new ArrayList<>(7 + settlements * 6);
    args.add(queue.lanePrefix());
    args.add(queue.notifyPrefix());
    args.add(historySize);
    args.add(historyAgeMillis);
    args.add(deadLetterLimit);
    args.add(deadLetterAgeMillis);
    args.add(queue.idempotencyPrefix());
    return args;
  }

  private List<?> runSettle(QueueKeys queue, List<byte[]> args) {
    return (List<?>) call("settle", () -> QueueScript.SETTLE.run(redis,
        List.of(queue.leases(), queue.deadlines(), queue.delayed(), queue.dead(), queue.completed()), args));
  }

  private static void addSettlement(List<byte[]> args, Settlement settlement) {
    Lease lease = settlement.lease();
    byte[] kind = settlement instanceof Settlement.Ack ? KIND_ACK
        : settlement instanceof Settlement.Retry ? KIND_RETRY
        : settlement instanceof Settlement.DeadLetter ? KIND_DEAD
        : KIND_RELEASE;
    args.add(kind);
    args.add(utf8(lease.token()));
    args.add(utf8(lease.jobId()));
    if (settlement instanceof Settlement.Retry retry) {
      args.add(ascii(Math.max(0, retry.delay().toMillis())));
    } else if (settlement instanceof Settlement.DeadLetter dead) {
      JobError error = dead.error();
      args.add(JobCodec.utf8(error.type(), "error type"));
      args.add(JobCodec.utf8(error.message(), "error message"));
      args.add(ascii(error.at().toEpochMilli()));
    }
  }

  @Override
  public Set<String> heartbeat(String consumerId, String queueName, Collection<Lease> leases,
      Duration leaseDuration, Duration consumerTtl) {
    checkOpen();
    QueueKeys queue = keys(queueName);
    List<Lease> held = List.copyOf(leases);
    List<byte[]> args = new ArrayList<>(3 + 2 * held.size());
    args.add(ascii(Math.max(1, leaseDuration.toMillis())));
    args.add(utf8(consumerId));
    // Zero is allowed: a stopping consumer records itself as gone.
    args.add(ascii(Math.max(0, consumerTtl.toMillis())));
    for (Lease lease : held) {
      args.add(utf8(lease.token()));
      args.add(utf8(lease.jobId()));
    }
    List<?> reply = (List<?>) call("heartbeat", () -> QueueScript.HEARTBEAT.run(redis,
        List.of(queue.leases(), queue.deadlines(), queue.consumers()), args));
    Set<String> kept = new HashSet<>();
    for (int i = 0; i < held.size(); i++) {
      if ((Long) reply.get(i) == 1L) {
        kept.add(held.get(i).jobId());
      }
    }
    return kept;
  }

  @Override
  public List<Job> recoverExpired(String queueName, int limit) {
    checkOpen();
    if (limit < 1) {
      return List.of();
    }
    QueueKeys queue = keys(queueName);
    List<?> reply = (List<?>) call("recoverExpired", () -> QueueScript.RECOVER.run(redis,
        List.of(queue.leases(), queue.deadlines(), queue.dead()),
        List.of(queue.lanePrefix(), queue.notifyPrefix(), ascii(limit), deadLetterLimit,
            deadLetterAgeMillis, queue.idempotencyPrefix())));
    return decodeAll(queue, reply);
  }

  // ---- admin ----------------------------------------------------------------------------

  @Override
  public QueueStats stats(String queueName) {
    checkOpen();
    QueueKeys queue = keys(queueName);
    List<?> reply = (List<?>) call("stats", () -> QueueScript.STATS.run(redis,
        List.of(queue.lanes(), queue.deadlines(), queue.delayed(), queue.dead(), queue.completed(),
            queue.consumers(), queue.paused()),
        List.of(queue.lanePrefix(), historyAgeMillis, historySize)));
    Map<String, Long> waiting = new LinkedHashMap<>();
    for (int i = 6; i + 1 < reply.size(); i += 2) {
      waiting.put(string(reply.get(i)), (Long) reply.get(i + 1));
    }
    return new QueueStats(queueName, waiting, (Long) reply.get(0), (Long) reply.get(1),
        (Long) reply.get(2), (Long) reply.get(3), ((Long) reply.get(4)).intValue(),
        (Long) reply.get(5) == 1);
  }

  @Override
  public boolean setPaused(String queueName, boolean paused) {
    checkOpen();
    QueueKeys queue = keys(queueName);
    return (Long) call(paused ? "pause" : "resume", () -> QueueScript.PAUSE.run(redis,
        List.of(queue.paused(), queue.lanes()),
        List.of(queue.lanePrefix(), queue.notifyPrefix(), ascii(paused ? "1" : "0")))) == 1;
  }

  /**
   * The queues ever enqueued to under this namespace, sorted. The registry is one set outside
   * the queues' slots; it is written on a queue's first enqueue through this backend and never
   * trimmed, so a queue emptied later is still listed (with zero counts).
   */
  @Override
  public List<String> queues() {
    checkOpen();
    Set<byte[]> members = call("queues", () -> redis.smembers(QueueKeys.registry(namespace)));
    return members.stream().map(RedisQueueBackend::string).sorted().toList();
  }

  @Override
  public List<Job> peek(String queueName, String priority, int limit) {
    checkOpen();
    if (limit < 1) {
      return List.of();
    }
    QueueKeys queue = keys(queueName);
    return decodeAll(queue, call("peek", () -> redis.lrange(queue.lane(priority), 0, limit - 1)));
  }

  @Override
  public List<Job> peekDelayed(String queueName, int limit) {
    checkOpen();
    if (limit < 1) {
      return List.of();
    }
    QueueKeys queue = keys(queueName);
    return decodeAll(queue, call("peekDelayed", () -> redis.zrange(queue.delayed(), 0, limit - 1)));
  }

  @Override
  public List<DeadLetter> peekDead(String queueName, int limit) {
    checkOpen();
    if (limit < 1) {
      return List.of();
    }
    QueueKeys queue = keys(queueName);
    List<byte[]> entries = call("peekDead", () -> redis.lrange(queue.dead(), 0, limit - 1));
    List<DeadLetter> letters = new ArrayList<>(entries.size());
    for (byte[] entry : entries) {
      try {
        letters.add(JobCodec.decodeDead(entry, queueName));
      } catch (JobCodec.UndecodableException e) {
        letters.add(JobCodec.unreadableDeadLetter(entry, queueName, e.getMessage()));
      }
    }
    return letters;
  }

  /**
   * Deletes as many dead letters, oldest first, as the list held when called, a window per script
   * call: each letter's idempotency key is released, which takes a look at every letter.
   */
  @Override
  public long purgeDead(String queueName) {
    checkOpen();
    QueueKeys queue = keys(queueName);
    long held = call("purgeDead", () -> redis.llen(queue.dead()));
    long deleted = 0;
    while (deleted < held) {
      byte[] window = ascii(Math.min(SCAN_WINDOW, held - deleted));
      long deletedNow = (Long) call("purgeDead", () -> QueueScript.PURGE_DEAD.run(redis,
          List.of(queue.dead()), List.of(queue.idempotencyPrefix(), window)));
      if (deletedNow == 0) {
        break;
      }
      deleted += deletedNow;
    }
    return deleted;
  }

  @Override
  public long requeueDead(String queueName, int limit) {
    checkOpen();
    if (limit < 1) {
      return 0;
    }
    QueueKeys queue = keys(queueName);
    return (Long) call("requeueDead", () -> QueueScript.REQUEUE_DEAD.run(redis,
        List.of(queue.dead(), queue.lanes()),
        List.of(queue.lanePrefix(), queue.notifyPrefix(), ascii(limit), queue.idempotencyPrefix())));
  }

  /**
   * Walks the delayed set, then every lane, from the tail in windows of 1,000 elements, one script
   * call per window, so that Redis stays responsive however many jobs wait.
   */
  @Override
  public long deleteJob(String queueName, String jobId) {
    checkOpen();
    QueueKeys queue = keys(queueName);
    byte[] id = utf8(jobId);
    long deleted = walkFromTail("deleteJob", QueueScript.DELETE_JOB, List.of(queue.delayed()),
        List.of(id, ascii("delayed"), queue.idempotencyPrefix()));
    Set<byte[]> lanes = call("deleteJob", () -> redis.smembers(queue.lanes()));
    for (byte[] priority : lanes) {
      deleted += walkFromTail("deleteJob", QueueScript.DELETE_JOB, List.of(queue.lane(string(priority))),
          List.of(id, ascii("lane"), queue.idempotencyPrefix()));
    }
    return deleted;
  }

  @Override
  public long deleteDeadJob(String queueName, String jobId) {
    return deadJob("deleteDeadJob", queueName, jobId, "delete");
  }

  @Override
  public long requeueDeadJob(String queueName, String jobId) {
    return deadJob("requeueDeadJob", queueName, jobId, "requeue");
  }

  private long deadJob(String operation, String queueName, String jobId, String action) {
    checkOpen();
    QueueKeys queue = keys(queueName);
    return walkFromTail(operation, QueueScript.DEAD_JOB, List.of(queue.dead(), queue.lanes()),
        List.of(queue.lanePrefix(), queue.notifyPrefix(), utf8(jobId), ascii(action),
            queue.idempotencyPrefix()));
  }

  /**
   * Runs {@code script} over a list or sorted set window by window from its tail, the window's
   * offset and size appended to {@code args}; each call answers what it changed (deleted or moved
   * elements, which shift the ones before them toward the tail) and how many it looked at.
   */
  private long walkFromTail(String operation, QueueScript script, List<byte[]> keys, List<byte[]> args) {
    long changed = 0;
    long offset = 0;
    while (true) {
      List<byte[]> windowArgs = new ArrayList<>(args);
      windowArgs.add(ascii(offset));
      windowArgs.add(SCAN_WINDOW_ARG);
      List<?> reply = (List<?>) call(operation, () -> script.run(redis, keys, windowArgs));
      long changedNow = (Long) reply.get(0);
      long looked = (Long) reply.get(1);
      changed += changedNow;
      if (looked < SCAN_WINDOW) {
        return changed;
      }
      offset += looked - changedNow;
    }
  }

  @Override
  public void ping() {
    checkOpen();
    call("ping", redis::ping);
  }

  /**
   * Warns once, after the first enqueue or fetch reached Redis, when Redis may evict this
   * backend's keys under memory pressure: an {@code allkeys-*} policy deletes waiting and leased
   * jobs (lost without a trace), a {@code volatile-*} one the idempotency keys of jobs that have
   * left the queue (held keys have no TTL). Redis's default is
   * {@code noeviction}; managed services often default to an evicting policy and may forbid
   * CONFIG, in which case nothing is said.
   */
  private void checkEvictionPolicy() {
    if (evictionPolicyChecked.get() || !evictionPolicyChecked.compareAndSet(false, true)) {
      return;
    }
    String policy;
    try {
      policy = redis.configGet("maxmemory-policy").get("maxmemory-policy");
    } catch (RuntimeException e) {
      log.debug("could not read Redis's maxmemory-policy: {}", e.getMessage());
      return;
    }
    if (policy == null || policy.equals("noeviction")) {
      return;
    }
    if (policy.startsWith("allkeys")) {
      log.warn("Redis maxmemory-policy is {}: when memory runs out Redis deletes any key, including "
          + "waiting and leased jobs, which are then lost; set maxmemory-policy to noeviction", policy);
    } else {
      log.warn("Redis maxmemory-policy is {}: when memory runs out Redis deletes keys with a TTL, "
          + "including the idempotency keys of finished jobs, so repeating one may run it again; set "
          + "maxmemory-policy to noeviction", policy);
    }
  }

  /** Pushes onto a blocked fetch's own list; the token expires in case the fetch returned meanwhile. */
  private void wakeInterruptedFetch(byte[] interruptList) {
    redis.lpush(interruptList, INTERRUPT_TOKEN);
    redis.pexpire(interruptList, INTERRUPT_TOKEN_TTL_MILLIS);
  }

  /** Closes the connection pools this backend created; a client passed in stays open. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    interrupter.close();
    if (ownsClients) {
      try {
        blocking.close();
      } finally {
        redis.close();
      }
    }
  }

  // ---- helpers --------------------------------------------------------------------------

  /** Built per call, not cached: a host with unbounded queue names must not grow a cache. */
  private QueueKeys keys(String queue) {
    return QueueKeys.of(namespace, queue);
  }

  private List<Job> decodeAll(QueueKeys queue, List<?> elements) {
    List<Job> jobs = new ArrayList<>(elements.size());
    for (Object element : elements) {
      try {
        jobs.add(JobCodec.decode((byte[]) element, queue.queue()));
      } catch (JobCodec.UndecodableException e) {
        log.warn("skipped an undecodable entry of queue {}: {}", queue.queue(), e.getMessage());
      }
    }
    return jobs;
  }

  private static Map<String, List<Integer>> byQueue(int size, IntFunction<String> queueOf) {
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < size; i++) {
      groups.computeIfAbsent(queueOf.apply(i), ignored -> new ArrayList<>()).add(i);
    }
    return groups;
  }

  private <T> T call(String operation, Supplier<T> command) {
    try {
      return command.get();
    } catch (RuntimeException e) {
      if (RedisFailures.isProtocolError(e) && redis instanceof RedisClient pooled) {
        // Redis closes the connection after this reply. When the request had been written whole,
        // Jedis read the reply as a plain error and took the connection back into the pool, where
        // the next request failed on it (seen once under load). Idle connections reopen cheaply.
        pooled.getPool().clear();
      }
      throw RedisFailures.translate(operation, server, e);
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new BackendClosedException("redis backend is closed");
    }
  }

  private static byte[] ascii(long value) {
    return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] ascii(String value) {
    return value.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  private static String string(Object bulk) {
    return new String((byte[]) bulk, StandardCharsets.UTF_8);
  }

  /**
   * Builds a {@link RedisQueueBackend}. Either describe the connection ({@link #url(String)} and
   * the settings after it) or pass a caller-owned client with {@link #client(UnifiedJedis)}.
   * {@link #build()} validates everything and reports every problem at once; the builder can be
   * reused.
   */
  public static final class Builder {
    private static final Duration LONGEST_TIMEOUT = Duration.ofHours(1);

    private String url;
    private String username;
    private String password;
    private Integer database;
    private Duration connectTimeout;
    private Duration socketTimeout;
    private Integer poolSize;
    private SSLSocketFactory sslSocketFactory;
    private UnifiedJedis client;
    private String namespace = DEFAULT_NAMESPACE;
    private int completedHistorySize = DEFAULT_COMPLETED_HISTORY_SIZE;
    private Duration completedHistoryAge = DEFAULT_COMPLETED_HISTORY_AGE;
    private int deadLetterLimit = DEFAULT_DEAD_LETTER_LIMIT;
    private Duration deadLetterAge = DEFAULT_DEAD_LETTER_AGE;
    private int replicasToWaitFor;
    private Duration replicaWait = DEFAULT_REPLICA_WAIT;

    private Builder() {}

    /**
     * Where Redis is: {@code redis://[[user]:password@]host[:port][/database]}, or
     * {@code rediss://...} for TLS. Default {@value #DEFAULT_URL}. Credentials and database in
     * the URL are overridden by {@link #username}, {@link #password} and {@link #database}.
     */
    public Builder url(String url) {
      this.url = url;
      return this;
    }

    /** ACL user name; default the one in the URL, else none (the {@code default} user). */
    public Builder username(String username) {
      this.username = username;
      return this;
    }

    /** Password; default the one in the URL, else none. Never logged or put in messages. */
    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /** Logical database number; default the one in the URL, else 0. */
    public Builder database(int database) {
      this.database = database;
      return this;
    }

    /** Time allowed to open a connection: 1 ms to 1 hour; default 2 seconds. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    /** Time allowed for a reply to a non-blocking command: 1 ms to 1 hour; default 2 seconds. */
    public Builder socketTimeout(Duration socketTimeout) {
      this.socketTimeout = socketTimeout;
      return this;
    }

    /**
     * Most connections for commands, and separately the most for blocked idle fetches (one per
     * consumer while it is idle, so at least the number of consumers sharing this backend);
     * default {@value #DEFAULT_POOL_SIZE}. A call that finds no free connection within the
     * socket timeout fails with {@link dev.workqueue.BackendUnavailableException}.
     */
    public Builder poolSize(int poolSize) {
      this.poolSize = poolSize;
      return this;
    }

    /**
     * Opens the TLS connections of a {@code rediss://} URL, for example to trust a private CA;
     * default the JVM's default factory. Cannot be combined with a {@code redis://} URL.
     */
    public Builder sslSocketFactory(SSLSocketFactory sslSocketFactory) {
      this.sslSocketFactory = sslSocketFactory;
      return this;
    }

    /**
     * A client the caller owns and closes; the backend uses it for everything (blocked fetches
     * included, so give it a pool larger than the number of consumers) and never closes it.
     * Cannot be combined with the connection settings above. Configure the client's blocking
     * read timeout ({@code blockingSocketTimeoutMillis}) to its socket timeout plus {@link
     * RedisQueueBackend#LONGEST_BLOCKING_WAIT}, so that an idle fetch notices a server that stopped
     * answering; without one, Jedis waits for the reply for ever.
     */
    public Builder client(UnifiedJedis client) {
      this.client = client;
      return this;
    }

    /**
     * Prefix of every key, so several applications or tests can share one Redis; default
     * {@value #DEFAULT_NAMESPACE}. 1 to 64 letters, digits, '.', '_' or '-'.
     */
    public Builder namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /** Most completed job ids kept per queue; default {@value #DEFAULT_COMPLETED_HISTORY_SIZE}; 0 keeps none. */
    public Builder completedHistorySize(int completedHistorySize) {
      this.completedHistorySize = completedHistorySize;
      return this;
    }

    /** How long a completed job id is kept, at most 3650 days; default 1 hour. */
    public Builder completedHistoryAge(Duration completedHistoryAge) {
      this.completedHistoryAge = completedHistoryAge;
      return this;
    }

    /**
     * Most dead letters kept per queue: when a job is dead-lettered past it, the oldest are
     * deleted. 0 keeps none. Default {@value RedisQueueBackend#DEFAULT_DEAD_LETTER_LIMIT}, no
     * limit in effect.
     */
    public Builder deadLetterLimit(int deadLetterLimit) {
      this.deadLetterLimit = deadLetterLimit;
      return this;
    }

    /**
     * Longest a dead letter is kept, counted from when its job was dead-lettered, at most 3650
     * days; default 3650 days, no limit in effect. Counted by the Redis server's clock; letters
     * past it are deleted when the queue's next job is dead-lettered, or all at once when even
     * the newest is past it (the list's TTL). 3650 days sets no TTL, so the list never becomes a
     * candidate for a {@code volatile-*} eviction policy.
     */
    public Builder deadLetterAge(Duration deadLetterAge) {
      this.deadLetterAge = deadLetterAge;
      return this;
    }

    /**
     * Makes every enqueue wait until {@code replicas} replicas have its writes (Redis {@code
     * WAIT}), at most {@code timeout}, so that a job a producer was told is stored survives the
     * master's failure as long as one of those replicas is promoted. An enqueue that reaches
     * fewer in time throws {@link NotReplicatedException}: its jobs are stored on the master
     * and may or may not survive, so the producer enqueues them again, safely with idempotency
     * keys. Settlements do not wait: a lost one makes a job run again, never vanish. Default 0,
     * not waiting; the timeout, default {@value #DEFAULT_REPLICA_WAIT_MILLIS} ms, must be shorter
     * than the socket timeout (below which the reply of {@code WAIT} has to arrive).
     */
    public Builder waitForReplicas(int replicas, Duration timeout) {
      this.replicasToWaitFor = replicas;
      this.replicaWait = timeout;
      return this;
    }

    /**
     * Creates the backend; connections are opened on first use.
     *
     * @throws dev.workqueue.InvalidConfigurationException listing every invalid setting
     */
    public RedisQueueBackend build() {
      Problems problems = new Problems("redis backend");
      RedisUrl parsed = null;
      if (client != null) {
        for (String setting : connectionSettings()) {
          problems.add("client cannot be combined with " + setting);
        }
      } else {
        try {
          parsed = RedisUrl.parse(url == null ? DEFAULT_URL : url);
        } catch (IllegalArgumentException e) {
          problems.check(false, "url", "a redis:// or rediss:// URL (" + e.getMessage() + ")",
              RedisUrl.redact(url));
        }
        // Ignored on a plain connection: the caller would believe the traffic is encrypted.
        if (parsed != null && !parsed.tls() && sslSocketFactory != null) {
          problems.add("sslSocketFactory cannot be combined with a redis:// url; use rediss:// for TLS");
        }
        String credentials = parsed == null ? null
            : parsed.withOverrides(username, password, database).credentialsProblem();
        if (credentials != null) {
          problems.add(credentials);
        }
      }
      problems.check(namespace != null && NAMESPACE.matcher(namespace).matches(), "namespace",
          "1 to 64 letters, digits, '.', '_' or '-'", namespace);
      problems.check(database == null || database >= 0, "database", "at least 0", database);
      // Jedis takes whole milliseconds as an int and waits forever on 0.
      if (connectTimeout != null) {
        problems.within(connectTimeout, Duration.ofMillis(1), LONGEST_TIMEOUT, "connectTimeout",
            "between 1ms and 1h");
      }
      if (socketTimeout != null) {
        problems.within(socketTimeout, Duration.ofMillis(1), LONGEST_TIMEOUT, "socketTimeout",
            "between 1ms and 1h");
      }
      problems.check(poolSize == null || poolSize >= 1, "poolSize", "at least 1", poolSize);
      problems.atLeast(completedHistorySize, 0, "completedHistorySize");
      // Sent in milliseconds: an unbounded age overflowed in build() with no word of the setting.
      problems.positiveUpTo(completedHistoryAge, Problems.LONGEST_RETENTION, "completedHistoryAge");
      problems.atLeast(deadLetterLimit, 0, "deadLetterLimit");
      problems.positiveUpTo(deadLetterAge, Problems.LONGEST_RETENTION, "deadLetterAge");
      problems.atLeast(replicasToWaitFor, 0, "waitForReplicas replicas");
      // Without replicas to wait for, the timeout is never used.
      Duration readTimeout = socketTimeout != null ? socketTimeout : DEFAULT_SOCKET_TIMEOUT;
      boolean outlastsReads =
          client == null && replicaWait != null && replicaWait.compareTo(readTimeout) >= 0;
      if (replicasToWaitFor != 0 && outlastsReads) {
        problems.check(false, "waitForReplicas timeout", "shorter than the socket timeout ("
            + readTimeout.toMillis() + "ms)", replicaWait);
      } else if (replicasToWaitFor != 0) {
        problems.within(replicaWait, Duration.ofMillis(1), LONGEST_TIMEOUT, "waitForReplicas timeout",
            "between 1ms and 1h");
      }
      problems.throwIfAny();
      if (client != null) {
        return new RedisQueueBackend(client, client, null, this);
      }
      return connect(parsed);
    }

    private List<String> connectionSettings() {
      List<String> set = new ArrayList<>();
      if (url != null) {
        set.add("url");
      }
      if (username != null) {
        set.add("username");
      }
      if (password != null) {
        set.add("password");
      }
      if (database != null) {
        set.add("database");
      }
      if (connectTimeout != null) {
        set.add("connectTimeout");
      }
      if (socketTimeout != null) {
        set.add("socketTimeout");
      }
      if (poolSize != null) {
        set.add("poolSize");
      }
      if (sslSocketFactory != null) {
        set.add("sslSocketFactory");
      }
      return set;
    }

    private RedisQueueBackend connect(RedisUrl parsed) {
      int connectMillis = (int) (connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout).toMillis();
      int socketMillis = (int) (socketTimeout == null ? DEFAULT_SOCKET_TIMEOUT : socketTimeout).toMillis();
      RedisUrl target = parsed.withOverrides(username, password, database);
      int size = poolSize != null ? poolSize : DEFAULT_POOL_SIZE;
      RedisClient commands = client(target, config(target, connectMillis, socketMillis), size);
      // Blocked fetches read their reply after up to MAX_BLOCK_MILLIS of waiting.
      int blockedMillis = socketMillis + (int) MAX_BLOCK_MILLIS;
      RedisClient blocked = client(target, config(target, connectMillis, blockedMillis), size);
      return new RedisQueueBackend(commands, blocked, target.server(), this);
    }

    private DefaultJedisClientConfig config(RedisUrl target, int connectMillis, int socketMillis) {
      DefaultJedisClientConfig.Builder config = target.clientConfig()
          .connectionTimeoutMillis(connectMillis)
          .socketTimeoutMillis(socketMillis)
          .blockingSocketTimeoutMillis(socketMillis)
          .clientName("workqueue");
      if (target.tls() && sslSocketFactory != null) {
        config.sslSocketFactory(sslSocketFactory);
      }
      return config.build();
    }

    private static RedisClient client(RedisUrl parsed, DefaultJedisClientConfig config, int size) {
      GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
      pool.setMaxTotal(size);
      pool.setMaxIdle(size);
      pool.setMinIdle(0);
      pool.setJmxEnabled(false);
      // A caller waits this long for a free connection, then gets a transient failure.
      pool.setMaxWait(Duration.ofMillis(config.getSocketTimeoutMillis()));
      return RedisClient.builder().hostAndPort(parsed.host(), parsed.port()).clientConfig(config)
          .poolConfig(pool).build();
    }
  }
}
