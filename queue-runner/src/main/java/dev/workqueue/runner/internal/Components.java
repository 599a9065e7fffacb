package dev.workqueue.runner.internal;

import static dev.workqueue.runner.internal.Closeables.closeQuietly;

import dev.workqueue.CircuitBreakerConfig;
import dev.workqueue.Consumer;
import dev.workqueue.JobHandler;
import dev.workqueue.PriorityMode;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.RetryPolicy;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.metrics.micrometer.CachedWallClock;
import dev.workqueue.metrics.micrometer.MicrometerQueueObserver;
import dev.workqueue.metrics.micrometer.QueueLengthUpdater;
import dev.workqueue.metrics.otel.OpenTelemetryJobInterceptor;
import dev.workqueue.redis.RedisQueueBackend;
import dev.workqueue.redis.RedisRateLimiter;
import dev.workqueue.redis.internal.RedisFailures;
import dev.workqueue.runner.internal.config.ConfigKey;
import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.RecurringEntry;
import dev.workqueue.runner.internal.config.Redaction;
import dev.workqueue.runner.internal.config.RunnerConfig;
import dev.workqueue.spi.JobInterceptor;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.QueueObserver;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The one place where the runner builds library objects from its configuration: the backend
 * (Redis or in-memory), the metrics registry and observer, the tracing interceptor (with an OTLP
 * exporter, only when {@code tracing.enabled}), the producer's rate limiter, and consumer and
 * producer builders set up from the configuration. Owns and closes what it built.
 */
public final class Components implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Components.class);

  private final RunnerConfig config;
  private final QueueBackend backend;
  private final CachedWallClock metricsClock;
  private final PrometheusMeterRegistry registry;
  private final MicrometerQueueObserver metrics;
  private final JobInterceptor tracing;
  private final Deque<AutoCloseable> owned = new ArrayDeque<>();
  private QueueLengthUpdater queueLengths;
  private UnifiedJedis redisClient;
  private boolean closed;

  private Components(RunnerConfig config, boolean instrumented, PrometheusRegistry prometheus) {
    this.config = config;
    boolean metricsEnabled = instrumented && config.get(ConfigKeys.METRICS_ENABLED);
    // Spares the observer two reads of the operating system's clock per job (docs/observability.md).
    this.metricsClock = metricsEnabled ? CachedWallClock.start() : null;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, prometheus,
        metricsEnabled ? metricsClock : Clock.SYSTEM);
    try {
      if (metricsEnabled) {
        this.metrics = withQueueTags(MicrometerQueueObserver.builder(registry))
            .queueLengthInterval(config.get(ConfigKeys.METRICS_QUEUE_LENGTH_REFRESH))
            .build();
        if (config.get(ConfigKeys.METRICS_JVM)) {
          bindJvmMetrics();
        }
      } else {
        this.metrics = null;
      }
      this.tracing = instrumented && config.get(ConfigKeys.TRACING_ENABLED) ? createTracing() : null;
      this.backend = createBackend();
    } catch (RuntimeException | Error e) {
      // Nobody can close what was built so far: stop its threads and connections here.
      closeMetricsAndTracing();
      closeQuietly(redisClient);
      throw e;
    }
  }

  /** Builds the backend and metrics that {@code config} describes; connects to nothing yet. */
  public static Components create(RunnerConfig config) {
    return create(config, new PrometheusRegistry());
  }

  /** As {@link #create(RunnerConfig)}, exposing the meters through {@code prometheus}. */
  static Components create(RunnerConfig config, PrometheusRegistry prometheus) {
    return new Components(config, true, prometheus);
  }

  /** The backend without metrics or tracing, for one-shot commands (admin, enqueue). */
  public static Components uninstrumented(RunnerConfig config) {
    return new Components(config, false, new PrometheusRegistry());
  }

  /**
   * Keeps as tag values this runner's own queues ({@code queue.name}, the recurring entries'), and
   * those of {@code metrics.queue_tags} or without it the first 100 others seen. The own queues are
   * listed because the queue-length updater reads every queue in name order, before a producer's
   * first job: on a Redis with more queues than that, one sorting late was folded into other.
   */
  private MicrometerQueueObserver.Builder withQueueTags(MicrometerQueueObserver.Builder metrics) {
    int buckets = config.get(ConfigKeys.METRICS_FOLDED_QUEUE_BUCKETS);
    Set<String> kept = new LinkedHashSet<>();
    kept.add(config.get(ConfigKeys.QUEUE_NAME));
    config.get(ConfigKeys.RECURRING_ENTRIES).values().stream()
        .map(RecurringEntry::queue).filter(Objects::nonNull).forEach(kept::add);
    List<String> listed = config.get(ConfigKeys.METRICS_QUEUE_TAGS);
    if (listed != null) {
      kept.addAll(listed);
    } else {
      metrics.queueTagLimit(MicrometerQueueObserver.DEFAULT_QUEUE_TAG_LIMIT);
    }
    // An own queue named like a tag value of folded queues ("other") is folded: kept, its series
    // would count the folded queues too. The configuration refuses such a name in the list.
    MicrometerQueueObserver.foldedQueueTagValues(buckets).forEach(kept::remove);
    return metrics.queueTagAllowList(kept).foldedQueueBuckets(buckets);
  }

  private QueueBackend createBackend() {
    switch (config.redisTopology()) {
      case NONE -> {
        log.info("no Redis configured: using the in-memory backend; jobs live only in this process");
        InMemoryQueueBackend.Builder memory = InMemoryQueueBackend.builder();
        ifSet(ConfigKeys.QUEUE_DEAD_LETTER_LIMIT, memory::deadLetterLimit);
        ifSet(ConfigKeys.QUEUE_DEAD_LETTER_AGE, memory::deadLetterAge);
        return memory.build();
      }
      case STANDALONE -> {
        log.info("using the Redis backend at {}",
            Redaction.redactUrl(config.get(ConfigKeys.REDIS_URL).toString()));
        RedisQueueBackend.Builder redis = RedisQueueBackend.builder()
            .url(config.get(ConfigKeys.REDIS_URL).toString())
            .connectTimeout(config.get(ConfigKeys.REDIS_CONNECT_TIMEOUT))
            .socketTimeout(config.get(ConfigKeys.REDIS_SOCKET_TIMEOUT))
            .poolSize(config.get(ConfigKeys.REDIS_POOL_SIZE));
        ifSet(ConfigKeys.REDIS_USERNAME, redis::username);
        ifSet(ConfigKeys.REDIS_PASSWORD, redis::password);
        return withStorageSettings(redis).build();
      }
      default -> {
        return withStorageSettings(RedisQueueBackend.builder().client(redisClient())).build();
      }
    }
  }

  private RedisQueueBackend.Builder withStorageSettings(RedisQueueBackend.Builder redis) {
    ifSet(ConfigKeys.QUEUE_DEAD_LETTER_LIMIT, redis::deadLetterLimit);
    ifSet(ConfigKeys.QUEUE_DEAD_LETTER_AGE, redis::deadLetterAge);
    return redis.waitForReplicas(config.get(ConfigKeys.REDIS_WAIT_FOR_REPLICAS),
        config.get(ConfigKeys.REDIS_WAIT_FOR_REPLICAS_TIMEOUT));
  }

  /** Hands {@code key}'s value to {@code setter} when the configuration sets it. */
  private <T> void ifSet(ConfigKey<T> key, java.util.function.Consumer<? super T> setter) {
    T value = config.get(key);
    if (value != null) {
      setter.accept(value);
    }
  }

  /**
   * The Sentinel or Cluster client, created on first use and closed after the backend. Blocked
   * idle fetches hold a connection each, so the pool gets {@code redis.pool_size} connections for
   * commands and as many again for them, as the URL-configured backend does.
   *
   * @throws QueueException if no Sentinel names the master, a Sentinel refuses the credentials, or
   *     no cluster node answers: a {@link dev.workqueue.BackendUnavailableException} when none could
   *     be reached
   */
  private synchronized UnifiedJedis redisClient() {
    if (redisClient != null) {
      return redisClient;
    }
    try {
      redisClient = createRedisClient();
    } catch (JedisException e) {
      if (config.redisTopology() == RunnerConfig.RedisTopology.SENTINEL) {
        QueueException refusal = sentinelRefusal();
        if (refusal != null) {
          throw refusal;
        }
      }
      // Creating the client connects. A cluster client keeps only why the last node failed, as a
      // suppressed exception: that says whether the nodes are down or refuse the credentials.
      Throwable[] suppressed = e.getSuppressed();
      throw RedisFailures.translate("connect", null,
          suppressed.length > 0 && suppressed[0] instanceof RuntimeException reason ? reason : e);
    }
    return redisClient;
  }

  private UnifiedJedis createRedisClient() {
    DefaultJedisClientConfig.Builder clientConfig = timeouts()
        .user(config.get(ConfigKeys.REDIS_USERNAME))
        .password(config.get(ConfigKeys.REDIS_PASSWORD));
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(2 * config.get(ConfigKeys.REDIS_POOL_SIZE));
    if (config.redisTopology() == RunnerConfig.RedisTopology.SENTINEL) {
      List<String> sentinels = config.get(ConfigKeys.REDIS_SENTINEL_NODES);
      log.info("using the Redis backend on the master {} named by the Sentinels {}",
          config.get(ConfigKeys.REDIS_SENTINEL_MASTER), sentinels);
      return RedisSentinelClient.builder()
          .masterName(config.get(ConfigKeys.REDIS_SENTINEL_MASTER))
          .sentinels(hostsAndPorts(sentinels))
          // Sentinel connections speak the server's default protocol; without saying so, Jedis
          // warns on every one of them, each start and every reconnect of a Sentinel listener.
          // The listener's failover subscription is their only blocking command: it waits for
          // notices with no read timeout (TCP keep-alive on), where a finite one dropped it while
          // idle, with a WARN each time and 5 s deaf to failovers. Queries keep the socket timeout.
          .sentinelClientConfig(sentinelClientConfig())
          .clientConfig(clientConfig.build())
          .poolConfig(pool)
          .build();
    }
    List<String> nodes = config.get(ConfigKeys.REDIS_CLUSTER_NODES);
    log.info("using the Redis backend on the Redis Cluster of {}", nodes);
    return RedisClusterClient.builder()
        .nodes(hostsAndPorts(nodes))
        .clientConfig(clientConfig.build())
        .poolConfig(pool)
        .build();
  }

  private DefaultJedisClientConfig sentinelClientConfig() {
    return timeouts()
        .blockingSocketTimeoutMillis(0)
        .autoNegotiateProtocol(false)
        .user(config.get(ConfigKeys.REDIS_SENTINEL_USERNAME))
        .password(config.get(ConfigKeys.REDIS_SENTINEL_PASSWORD))
        .build();
  }

  /**
   * Why the Sentinels refused this runner's credentials, or {@code null} when none did. Jedis
   * reports a refusal as it reports an outage ("All sentinels down"), its reason only in a log
   * line; asked directly, a Sentinel tells the refusal, which no retry mends, from an outage.
   */
  private QueueException sentinelRefusal() {
    for (HostAndPort sentinel : hostsAndPorts(config.get(ConfigKeys.REDIS_SENTINEL_NODES))) {
      try (Jedis probe = new Jedis(sentinel, sentinelClientConfig())) {
        probe.ping();
      } catch (JedisAccessControlException e) {
        return new QueueException("redis connect failed: Sentinel " + sentinel + " refused the "
            + "credentials (redis.sentinel.username, redis.sentinel.password): " + e.getMessage());
      } catch (JedisException e) {
        // Unreachable or failing otherwise: part of the outage Jedis reported.
      }
    }
    return null;
  }

  /**
   * Connect and read timeouts from the configuration. Blocked idle fetches get their own read
   * timeout, the longest they block plus the socket timeout: Jedis's default for blocking
   * commands is none, and a fetch on a master that froze would then wait until TCP gave up.
   */
  private DefaultJedisClientConfig.Builder timeouts() {
    int socketMillis = (int) config.get(ConfigKeys.REDIS_SOCKET_TIMEOUT).toMillis();
    return DefaultJedisClientConfig.builder()
        .connectionTimeoutMillis((int) config.get(ConfigKeys.REDIS_CONNECT_TIMEOUT).toMillis())
        .socketTimeoutMillis(socketMillis)
        .blockingSocketTimeoutMillis(socketMillis + (int) RedisQueueBackend.LONGEST_BLOCKING_WAIT.toMillis());
  }

  private static Set<HostAndPort> hostsAndPorts(List<String> nodes) {
    return nodes.stream().map(HostAndPort::from).collect(Collectors.toCollection(LinkedHashSet::new));
  }

  /** {@code redis.url} with {@code redis.username} and {@code redis.password} folded into it. */
  private String redisUrlWithCredentials() {
    URI url = config.get(ConfigKeys.REDIS_URL);
    String username = config.get(ConfigKeys.REDIS_USERNAME);
    String password = config.get(ConfigKeys.REDIS_PASSWORD);
    if (username == null && password == null) {
      return url.toString();
    }
    String[] given = url.getUserInfo() == null ? new String[0] : url.getUserInfo().split(":", 2);
    String user = username != null ? username : given.length > 0 ? given[0] : "";
    String secret = password != null ? password : given.length > 1 ? given[1] : null;
    try {
      return new URI(url.getScheme(), secret == null ? user : user + ":" + secret, url.getHost(),
          url.getPort(), url.getPath(), url.getQuery(), null).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("redis.url cannot carry the configured credentials", e);
    }
  }

  /** The tracing interceptor, exporting through an SDK that this object owns and closes. */
  private JobInterceptor createTracing() {
    String endpoint = config.get(ConfigKeys.TRACING_OTLP_ENDPOINT).toString();
    log.info("exporting spans over OTLP/HTTP to {}", Redaction.redactUrlValue(endpoint));
    SdkTracerProvider tracerProvider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
            AttributeKey.stringKey("service.name"), config.get(ConfigKeys.TRACING_SERVICE_NAME)))))
        .addSpanProcessor(BatchSpanProcessor.builder(
            OtlpHttpSpanExporter.builder().setEndpoint(endpoint).build()).build())
        .build();
    OpenTelemetrySdk openTelemetry = OpenTelemetrySdk.builder()
        .setTracerProvider(tracerProvider)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    owned.push(openTelemetry);
    return OpenTelemetryJobInterceptor.builder(openTelemetry).build();
  }

  /**
   * JVM metrics; not the processor binder, whose {@code system_cpu_count} and
   * {@code process_cpu_time_ns_total} names fail {@code promtool check metrics}.
   */
  private void bindJvmMetrics() {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    owned.push(gc);
    new JvmThreadMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /** The configured backend. */
  public QueueBackend backend() {
    return backend;
  }

  /** Observers for producers and consumers: the metrics observer when metrics are on. */
  public List<QueueObserver> observers() {
    return metrics == null ? List.of() : List.of(metrics);
  }

  /** Interceptors for producers and consumers: the tracing interceptor when tracing is on. */
  public List<JobInterceptor> interceptors() {
    return tracing == null ? List.of() : List.of(tracing);
  }

  /**
   * A new rate limiter for a producer, or null when {@code producer.rate_limit_per_sec} is 0: in
   * process, or with {@code producer.rate_limiter: redis} shared through Redis by every producer of
   * the queue (falling back to a local limit while Redis is unreachable).
   */
  public synchronized RateLimiter producerRateLimiter() {
    RateLimiterConfig limit = producerRateLimit();
    if (limit == null) {
      return null;
    }
    if (!"redis".equals(config.get(ConfigKeys.PRODUCER_RATE_LIMITER))) {
      return RateLimiter.local(limit);
    }
    String name = "producer-" + config.get(ConfigKeys.QUEUE_NAME);
    RedisRateLimiter shared = (config.redisTopology() == RunnerConfig.RedisTopology.STANDALONE
            ? RedisRateLimiter.builder(redisUrlWithCredentials(), name, limit)
            : RedisRateLimiter.builder(redisClient(), name, limit))
        .whenUnavailable(RedisRateLimiter.WhenUnavailable.FALLBACK_LOCAL)
        .build();
    owned.push(shared);
    return shared;
  }

  /** The producer's rate and burst, or null when {@code producer.rate_limit_per_sec} is 0. */
  RateLimiterConfig producerRateLimit() {
    double rate = config.get(ConfigKeys.PRODUCER_RATE_LIMIT_PER_SEC);
    if (rate == 0) {
      return null;
    }
    return RateLimiterConfig.builder()
        .permitsPerSecond(rate)
        .burst(config.get(ConfigKeys.PRODUCER_BURST))
        .build();
  }

  /** A consumer of the configured queue with the configured retries, timeouts and observers. */
  public Consumer.Builder consumerBuilder(JobHandler handler) {
    Consumer.Builder builder = Consumer.builder(backend, handler)
        .name(config.get(ConfigKeys.WORKER_NAME))
        .queue(config.get(ConfigKeys.QUEUE_NAME))
        .priorities(config.get(ConfigKeys.QUEUE_PRIORITIES))
        .priorityMode("weighted".equals(config.get(ConfigKeys.QUEUE_PRIORITY_MODE))
            ? PriorityMode.weighted(config.get(ConfigKeys.QUEUE_WEIGHTS)) : PriorityMode.strict())
        .concurrency(config.get(ConfigKeys.WORKER_CONCURRENCY))
        .jobTimeout(config.get(ConfigKeys.WORKER_JOB_TIMEOUT))
        .leaseDuration(config.get(ConfigKeys.WORKER_LEASE))
        .drainTimeout(config.get(ConfigKeys.WORKER_DRAIN_TIMEOUT))
        .retryPolicy(RetryPolicy.builder()
            .maxAttempts(config.get(ConfigKeys.WORKER_RETRY_MAX_ATTEMPTS))
            .initialBackoff(config.get(ConfigKeys.WORKER_RETRY_INITIAL_BACKOFF))
            .maxBackoff(config.get(ConfigKeys.WORKER_RETRY_MAX_BACKOFF))
            .multiplier(config.get(ConfigKeys.WORKER_RETRY_MULTIPLIER))
            .jitter(config.get(ConfigKeys.WORKER_RETRY_JITTER))
            .build());
    if (config.get(ConfigKeys.WORKER_CIRCUIT_BREAKER_ENABLED)) {
      builder.circuitBreaker(CircuitBreakerConfig.builder()
          .failureRateThreshold(config.get(ConfigKeys.WORKER_CIRCUIT_BREAKER_FAILURE_RATE))
          .window(config.get(ConfigKeys.WORKER_CIRCUIT_BREAKER_WINDOW))
          .minimumSamples(config.get(ConfigKeys.WORKER_CIRCUIT_BREAKER_MINIMUM_SAMPLES))
          .cooldown(config.get(ConfigKeys.WORKER_CIRCUIT_BREAKER_COOLDOWN))
          .build());
    }
    observers().forEach(builder::observer);
    interceptors().forEach(builder::interceptor);
    return builder;
  }

  /**
   * A producer for the configured queue and default priority with the observers and
   * interceptors; without a rate limiter (see {@link #producerRateLimiter()}).
   */
  public Producer.Builder producerBuilder() {
    Producer.Builder builder = Producer.builder(backend)
        .defaultQueue(config.get(ConfigKeys.QUEUE_NAME))
        .defaultPriority(config.get(ConfigKeys.PRODUCER_DEFAULT_PRIORITY));
    observers().forEach(builder::observer);
    interceptors().forEach(builder::interceptor);
    return builder;
  }

  /**
   * Publishes the consumer's {@code worker_active} and {@code circuit_breaker_state} gauges, when
   * metrics are on.
   */
  public void bindGauges(Consumer consumer) {
    if (metrics != null) {
      metrics.bindConsumer(consumer);
    }
  }

  /** Starts refreshing the {@code queue_length} gauges, when metrics are on. Idempotent. */
  public synchronized void startQueueLengths() {
    if (metrics != null && queueLengths == null) {
      queueLengths = metrics.startQueueLengthUpdater(backend);
    }
  }

  /** The Prometheus text exposition (format 0.0.4) of every meter; empty when metrics are off. */
  public String scrape() {
    return registry.scrape();
  }

  /** Closes, in reverse order of creation, what was built here, the backend last. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(queueLengths);
    closeMetricsAndTracing();
    backend.close();
    closeQuietly(redisClient);
  }

  private void closeMetricsAndTracing() {
    for (AutoCloseable closeable : owned) {
      closeQuietly(closeable);
    }
    registry.close();
    closeQuietly(metricsClock);
  }
}
