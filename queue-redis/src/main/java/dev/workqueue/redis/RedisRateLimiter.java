package dev.workqueue.redis;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.QueueException;
import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.internal.Jitter;
import dev.workqueue.internal.LocalRateLimiter;
import dev.workqueue.internal.Names;
import dev.workqueue.internal.Problems;
import dev.workqueue.internal.RateLimitedWarning;
import dev.workqueue.internal.Ticker;
import dev.workqueue.redis.internal.QueueKeys;
import dev.workqueue.redis.internal.RedisFailures;
import dev.workqueue.redis.internal.RedisUrl;
import dev.workqueue.redis.internal.ratelimit.RateLimitScripts;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * A {@link RateLimiter} shared by every thread and process that uses the same Redis and the same
 * limiter name: together they are held to the configured rate.
 *
 * <p>Each acquisition is one atomic Lua call ({@code rate-limit.lua}) that runs the generic cell
 * rate algorithm on the server's clock ({@code TIME}), so client clock skew does not matter. The
 * state is one string key, {@code wq:v1:{ratelimit:<name>}} (hash-tagged, so it works on a
 * Cluster), holding the theoretical arrival time in microseconds; it expires when the limiter goes
 * idle. Permits that are not due yet are booked by that same call, in the order callers ask, and
 * the caller parks until they are due plus up to {@link RateLimiterConfig#jitter()} of an
 * interval: no second call, and a caller that wakes late loses nothing to the others.
 * {@code tryAcquire} books only what is due within its timeout and records nothing otherwise.
 *
 * <p>A caller interrupted while it waits for a booking gives it back
 * ({@code rate-limit-release.lua}) and consumes nothing. If other callers have booked after it in
 * the meantime, the booking cannot be taken out of the middle of the schedule: that stretch then
 * goes unused (nobody gets the permits, the group loses them once).
 *
 * <p>A Redis at its {@code maxmemory} under {@code noeviction}, which refuses new jobs, still runs
 * both scripts: the limiter's one small key per name expires, and callers that share it (host
 * code as well as producers) keep their rate instead of failing.
 *
 * <p>When Redis cannot be reached (connection refused or reset, timeout, server loading or failing
 * over), the {@link WhenUnavailable} setting decides: {@link WhenUnavailable#FAIL} (the default)
 * throws {@link BackendUnavailableException}; {@link WhenUnavailable#FALLBACK_LOCAL} limits this
 * process alone with an in-process limiter of the same configuration, logs a WARN at most every
 * 30 seconds, and asks Redis again after {@link Builder#recheckInterval(Duration)}. While falling
 * back, each process allows the full rate, so N processes together may reach N times the cap.
 *
 * <pre>{@code
 * try (UnifiedJedis redis = RedisClient.create("redis://localhost:6379")) {
 *   RateLimiter limiter = RedisRateLimiter.builder(redis, "emails", RateLimiterConfig.of(200)).build();
 *   Producer producer = Producer.builder(backend).rateLimiter(limiter).build();
 * }
 * }</pre>
 */
public final class RedisRateLimiter implements RateLimiter, AutoCloseable {
  /** Default {@link Builder#recheckInterval(Duration)}: 1 second. */
  public static final Duration DEFAULT_RECHECK_INTERVAL = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(RedisRateLimiter.class);
  private static final long NANOS_PER_MICRO = 1_000;
  /** The deadline of {@link #acquire(int)}, which waits as long as needed. */
  private static final long NO_DEADLINE = Long.MAX_VALUE;
  /** A wait {@link #acquire(int)} accepts whatever its length. */
  private static final long ANY_WAIT = Long.MAX_VALUE / NANOS_PER_MICRO;

  private final UnifiedJedis client;
  private final boolean ownsClient;
  /** {@code host:port} of the URL for messages; null with a caller-given client. */
  private final String server;
  private final String name;
  private final String key;
  private final RateLimiterConfig config;
  private final double intervalMicros;
  private final Jitter jitter;
  private final WhenUnavailable whenUnavailable;
  private final long recheckNanos;
  private final RateLimitScripts scripts;
  private final Ticker ticker = Ticker.SYSTEM;
  private final RateLimitedWarning unavailableWarning = new RateLimitedWarning(Duration.ofSeconds(30));
  private final LocalRateLimiter fallback;
  private final AtomicBoolean fallingBack = new AtomicBoolean();
  private volatile long recheckAt;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RedisRateLimiter(UnifiedJedis client, String server, Builder builder) {
    this.client = client;
    this.ownsClient = server != null;
    this.server = server;
    this.name = builder.name;
    this.key = key(builder.name);
    this.config = builder.config;
    this.intervalMicros = 1.0E6 / config.permitsPerSecond();
    this.jitter = Jitter.of(config);
    this.whenUnavailable = builder.whenUnavailable;
    this.recheckNanos = builder.recheckInterval.toNanos();
    this.scripts = new RateLimitScripts(client);
    this.fallback = whenUnavailable == WhenUnavailable.FALLBACK_LOCAL ? new LocalRateLimiter(config) : null;
  }

  /**
   * Starts a limiter named {@code name} on a client the caller owns: the limiter never closes it.
   * Every limiter with the same name on the same Redis shares the same permits.
   *
   * @param client any Jedis client: {@link RedisClient}, a Sentinel or Cluster client
   * @param name the limiter's name, {@value Names#RULE}
   * @param config the rate, burst and jitter
   */
  public static Builder builder(UnifiedJedis client, String name, RateLimiterConfig config) {
    return new Builder(client, null, false, name, config);
  }

  /**
   * Starts a limiter named {@code name} on a client of its own, connected to {@code redisUrl}
   * ({@code redis://[[user]:password@]host[:port][/database]} or {@code rediss://...}) and closed
   * by {@link #close()}.
   */
  public static Builder builder(String redisUrl, String name, RateLimiterConfig config) {
    return new Builder(null, redisUrl, true, name, config);
  }

  /** The Redis key holding the state of the limiter named {@code name}. */
  public static String key(String name) {
    return "wq:" + QueueKeys.SCHEMA + ":{ratelimit:" + name + "}";
  }

  /**
   * {@inheritDoc}
   *
   * @throws BackendUnavailableException if Redis cannot be reached and the limiter is set to
   *     {@link WhenUnavailable#FAIL}
   * @throws QueueException if Redis answers with an error
   * @throws IllegalStateException if the limiter is closed
   */
  @Override
  public void acquire(int permits) throws InterruptedException {
    acquire(permits, NO_DEADLINE);
  }

  /**
   * {@inheritDoc}
   *
   * @throws BackendUnavailableException if Redis cannot be reached and the limiter is set to
   *     {@link WhenUnavailable#FAIL}
   * @throws QueueException if Redis answers with an error
   * @throws IllegalStateException if the limiter is closed
   */
  @Override
  public boolean tryAcquire(int permits) {
    checkUsable(permits);
    if (useFallback()) {
      return fallback.tryAcquire(permits);
    }
    RateLimitScripts.Decision decision = attempt(permits, 0);
    if (decision == null) {
      return fallback.tryAcquire(permits);
    }
    return decision.admitted();
  }

  /**
   * {@inheritDoc}
   *
   * @throws BackendUnavailableException if Redis cannot be reached and the limiter is set to
   *     {@link WhenUnavailable#FAIL}
   * @throws QueueException if Redis answers with an error
   * @throws IllegalStateException if the limiter is closed
   */
  @Override
  public boolean tryAcquire(int permits, Duration timeout) throws InterruptedException {
    return acquire(permits, ticker.deadlineAfter(timeout));
  }

  /** Takes the permits if they are due by {@code deadline}, waiting for them if need be. */
  private boolean acquire(int permits, long deadline) throws InterruptedException {
    checkUsable(permits);
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted while waiting for a rate-limit permit");
    }
    boolean unbounded = deadline == NO_DEADLINE;
    long now = ticker.nanoTime();
    long remainingNanos = unbounded ? Long.MAX_VALUE : Math.max(0, deadline - now);
    if (useFallback()) {
      return acquireLocally(permits, unbounded, remainingNanos);
    }
    RateLimitScripts.Decision decision =
        attempt(permits, unbounded ? ANY_WAIT : remainingNanos / NANOS_PER_MICRO);
    if (decision == null) {
      return acquireLocally(permits, unbounded, remainingNanos);
    }
    if (!decision.admitted()) {
      return false;
    }
    if (decision.waitMicros() > 0) {
      long wakeAt = now + decision.waitMicros() * NANOS_PER_MICRO + jitter.nextNanos();
      try {
        ticker.parkUntil(unbounded || wakeAt - deadline < 0 ? wakeAt : deadline);
      } catch (InterruptedException e) {
        giveBack(permits, decision.bookedUntil(), e);
        throw e;
      }
    }
    return true;
  }

  /** Gives back the booking of an interrupted caller; a failure to do so stays with the interrupt. */
  private void giveBack(int permits, String bookedUntil, InterruptedException interrupt) {
    try {
      scripts.release(key, intervalMicros, permits, bookedUntil);
    } catch (RuntimeException e) {
      interrupt.addSuppressed(RedisFailures.translate("rate limiter " + name, server, e));
    }
  }

  private boolean acquireLocally(int permits, boolean unbounded, long remainingNanos)
      throws InterruptedException {
    if (unbounded) {
      fallback.acquire(permits);
      return true;
    }
    return fallback.tryAcquire(permits, Duration.ofNanos(remainingNanos));
  }

  /**
   * One script call; {@code null} when Redis is unreachable and this limiter falls back.
   *
   * @throws BackendUnavailableException when Redis is unreachable and this limiter fails
   */
  private RateLimitScripts.Decision attempt(int permits, long longestWaitMicros) {
    try {
      RateLimitScripts.Decision decision =
          scripts.acquire(key, intervalMicros, config.burst(), permits, longestWaitMicros);
      if (fallingBack.compareAndSet(true, false)) {
        log.info("rate limiter {} reaches Redis again; limiting together with the other processes", name);
      }
      return decision;
    } catch (RuntimeException e) {
      QueueException failure = RedisFailures.translate("rate limiter " + name, server, e);
      if (!(failure instanceof BackendUnavailableException) || whenUnavailable == WhenUnavailable.FAIL) {
        throw failure;
      }
      recheckAt = ticker.nanoTime() + recheckNanos;
      fallingBack.set(true);
      unavailableWarning.warn(log, "rate limiter {} cannot reach Redis ({}); limiting this process alone "
          + "at {} permits/s until Redis answers", name, e.getMessage(), config.permitsPerSecond());
      return null;
    }
  }

  private boolean useFallback() {
    return fallingBack.get() && ticker.nanoTime() - recheckAt < 0;
  }

  private void checkUsable(int permits) {
    if (permits < 1) {
      throw new IllegalArgumentException("permits must be at least 1, but was " + permits);
    }
    if (closed.get()) {
      throw new IllegalStateException("rate limiter " + name + " is closed");
    }
  }

  /** The limiter's name. */
  public String name() {
    return name;
  }

  /** The configuration it enforces. */
  public RateLimiterConfig config() {
    return config;
  }

  /** Closes the client if the limiter created it from a URL; idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "RedisRateLimiter[" + key + ", " + config + ", " + whenUnavailable + "]";
  }

  /** What a {@link RedisRateLimiter} does when Redis cannot be reached. */
  public enum WhenUnavailable {
    /** Throw {@link BackendUnavailableException}: the shared cap is never exceeded. */
    FAIL,
    /**
     * Limit this process alone with an in-process limiter of the same configuration, log a WARN
     * at most every 30 seconds, and go back to Redis once it answers. Keeps producing through an
     * outage at the price of the shared cap: each process may use the full rate meanwhile.
     */
    FALLBACK_LOCAL
  }

  /** Builds a {@link RedisRateLimiter}; {@link #build()} validates and leaves the builder reusable. */
  public static final class Builder {
    private final UnifiedJedis client;
    private final String url;
    private final boolean fromUrl;
    private final String name;
    private final RateLimiterConfig config;
    private WhenUnavailable whenUnavailable = WhenUnavailable.FAIL;
    private Duration recheckInterval = DEFAULT_RECHECK_INTERVAL;

    private Builder(UnifiedJedis client, String url, boolean fromUrl, String name, RateLimiterConfig config) {
      this.client = client;
      this.url = url;
      this.fromUrl = fromUrl;
      this.name = name;
      this.config = config;
    }

    /** What to do when Redis cannot be reached; default {@link WhenUnavailable#FAIL}. */
    public Builder whenUnavailable(WhenUnavailable whenUnavailable) {
      this.whenUnavailable = whenUnavailable;
      return this;
    }

    /**
     * With {@link WhenUnavailable#FALLBACK_LOCAL}, how long to limit locally after Redis failed
     * before asking it again, at most 365 days; default 1 second. Each failed attempt may take up
     * to the client's connect or socket timeout, so this also bounds how often an outage slows a
     * caller down.
     */
    public Builder recheckInterval(Duration recheckInterval) {
      this.recheckInterval = recheckInterval;
      return this;
    }

    /**
     * Creates the limiter; a client for a URL connects on first use.
     *
     * @throws dev.workqueue.InvalidConfigurationException listing every invalid setting
     */
    public RedisRateLimiter build() {
      Problems problems = new Problems("redis rate limiter")
          .check(Names.isValid(name), "name", Names.RULE, name)
          .notNull(config, "config")
          .notNull(whenUnavailable, "whenUnavailable")
          // Kept in nanoseconds and added to the time: an unbounded interval overflowed.
          .positiveUpTo(recheckInterval, Problems.LONGEST_SETTING, "recheckInterval");
      RedisUrl parsed = null;
      if (!fromUrl) {
        problems.notNull(client, "client");
      } else if (url == null) {
        problems.notNull(url, "url");
      } else {
        try {
          parsed = RedisUrl.parse(url);
          if (parsed.credentialsProblem() != null) {
            problems.add(parsed.credentialsProblem());
          }
        } catch (IllegalArgumentException e) {
          problems.check(false, "url", "a redis:// or rediss:// URL (" + e.getMessage() + ")",
              RedisUrl.redact(url));
        }
      }
      problems.throwIfAny();
      return fromUrl
          ? new RedisRateLimiter(RedisClient.builder().hostAndPort(parsed.host(), parsed.port())
              .clientConfig(parsed.clientConfig().clientName("workqueue").build()).build(),
              parsed.server(), this)
          : new RedisRateLimiter(client, null, this);
    }
  }
}
