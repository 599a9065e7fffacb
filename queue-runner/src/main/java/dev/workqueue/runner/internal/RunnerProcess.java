package dev.workqueue.runner.internal;

import static dev.workqueue.runner.internal.Closeables.closeQuietly;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.Consumer;
import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.JobHandler;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.QueueStats;
import dev.workqueue.RecurringJobs;
import dev.workqueue.internal.Problems;
import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.RecurringEntry;
import dev.workqueue.runner.internal.config.Redaction;
import dev.workqueue.runner.internal.config.RunnerConfig;
import dev.workqueue.runner.internal.handler.Handlers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The long-running roles: a worker (consumer + handler), a producer (directory source), or both,
 * with the HTTP endpoints. Starts them from the configuration and stops them in order: the
 * producer first, then the consumer (which drains within {@code worker.drain_timeout} and returns
 * unfinished jobs), then HTTP and the backend.
 */
public final class RunnerProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunnerProcess.class);

  private final RunnerConfig config;
  private final boolean worker;
  private final boolean producing;
  private final Components components;
  private volatile boolean stopping;
  private boolean closed;
  private HttpEndpoints http;
  private JobHandler handler;
  private Consumer consumer;
  private Producer producer;
  private DemoFiles demoFiles;
  // Read by readiness probes on the HTTP threads; set after the endpoints start.
  private volatile DirectorySource source;
  private RecurringJobs recurring;
  private Producer recurringProducer;

  private RunnerProcess(RunnerConfig config, boolean worker, boolean producing, Components components) {
    this.config = config;
    this.worker = worker;
    this.producing = producing;
    this.components = components;
  }

  /**
   * Builds and starts the roles.
   *
   * @param onSourceFinished called when a producer that scans once has finished its scan
   * @param stopRequested whether a signal asked the process to stop: once the first ping has
   *     answered, such a process starts no role
   * @throws IOException if the HTTP port cannot be bound or the demo directory cannot be made
   * @throws InvalidConfigurationException if the producer's directory does not exist, or the
   *     handler class that {@code worker.handler} names cannot be created
   * @throws BackendRefusedException if the backend answers the first ping (or, for Sentinel or
   *     Cluster, the first connection) with a permanent error
   * @throws dev.workqueue.BackendUnavailableException if no Sentinel or cluster node can be reached
   *     to create the client (an unreachable backend is otherwise only logged: the roles start and
   *     wait for it)
   */
  public static RunnerProcess start(RunnerConfig config, boolean worker, boolean producing,
      Runnable onSourceFinished, BooleanSupplier stopRequested) throws IOException {
    return start(config, worker, producing, onSourceFinished, stopRequested,
        () -> Components.create(config));
  }

  /**
   * As {@link #start(RunnerConfig, boolean, boolean, Runnable, BooleanSupplier)}, with the
   * components given.
   */
  static RunnerProcess start(RunnerConfig config, boolean worker, boolean producing,
      Runnable onSourceFinished, BooleanSupplier stopRequested, Supplier<Components> components)
      throws IOException {
    Path directory = config.get(ConfigKeys.PRODUCER_SOURCE_DIR);
    if (producing && directory != null) {
      new Problems("configuration")
          .check(Files.isDirectory(directory), ConfigKeys.PRODUCER_SOURCE_DIR.path(), "an existing directory",
              directory.toString())
          .throwIfAny();
    }
    RunnerProcess process;
    try {
      process = new RunnerProcess(config, worker, producing, components.get());
    } catch (QueueException e) {
      throw refusal(e);
    }
    try {
      process.startRoles(onSourceFinished, stopRequested);
    } catch (IOException | RuntimeException e) {
      process.close();
      throw e;
    }
    return process;
  }

  private void startRoles(Runnable onSourceFinished, BooleanSupplier stopRequested) throws IOException {
    log.info("starting {} on queue {} with {} backend ({}, Java {})", worker && producing
        ? "worker and producer" : worker ? "worker" : "producer", config.get(ConfigKeys.QUEUE_NAME),
        config.usesRedis() ? "the Redis" : "the in-memory", version(), System.getProperty("java.version"));
    checkBackend();
    if (stopRequested.getAsBoolean()) {
      // The ping may wait redis.socket_timeout for a frozen Redis; roles started after a SIGTERM
      // would only take jobs to be drained again.
      log.info("stop requested while starting: no role is started");
      return;
    }
    if (config.get(ConfigKeys.HTTP_ENABLED)) {
      http = HttpEndpoints.start(config.get(ConfigKeys.HTTP_BIND), config.get(ConfigKeys.HTTP_PORT),
          this::notReadyReason, config.get(ConfigKeys.METRICS_ENABLED) ? components::scrape : null);
    }
    if (worker) {
      handler = Handlers.create(config);
      consumer = components.consumerBuilder(handler).build();
      components.bindGauges(consumer);
      consumer.start();
    }
    components.startQueueLengths();
    startRecurring();
    if (producing) {
      producer = components.producerBuilder()
          .rateLimiter(components.producerRateLimiter())
          .build();
      Path directory = config.get(ConfigKeys.PRODUCER_SOURCE_DIR);
      if (directory == null) {
        demoFiles = DemoFiles.create();
        directory = demoFiles.directory();
      }
      source = new DirectorySource(directory, config.get(ConfigKeys.PRODUCER_SOURCE_INCLUDE),
          config.get(ConfigKeys.PRODUCER_SOURCE_EXCLUDE),
          config.get(ConfigKeys.PRODUCER_SOURCE_PRIORITY_BY_EXTENSION), producer,
          config.get(ConfigKeys.PRODUCER_SOURCE_RESCAN_INTERVAL), onSourceFinished);
      source.start();
    }
  }

  /** Every role runs the configured recurring entries; runners sharing them enqueue each run once. */
  private void startRecurring() {
    Map<String, RecurringEntry> entries = config.get(ConfigKeys.RECURRING_ENTRIES);
    if (entries.isEmpty()) {
      return;
    }
    recurringProducer = components.producerBuilder().build();
    RecurringJobs.Builder schedule = RecurringJobs.builder(recurringProducer);
    ZoneId zone = config.get(ConfigKeys.RECURRING_TIME_ZONE);
    Map<String, List<String>> namesByQueue = new TreeMap<>();
    entries.forEach((name, entry) -> {
      NewJob.Builder job = NewJob.builder(entry.payload() != null ? entry.payload() : name);
      if (entry.queue() != null) {
        job.queue(entry.queue());
      }
      if (entry.priority() != null) {
        job.priority(entry.priority());
      }
      schedule.add(name, CronTriggers.of(entry.schedule(), zone), job.build());
      String queue = entry.queue() != null ? entry.queue() : config.get(ConfigKeys.QUEUE_NAME);
      namesByQueue.computeIfAbsent(queue, ignored -> new ArrayList<>()).add(name);
    });
    recurring = schedule.build();
    recurring.start();
    namesByQueue.forEach((queue, names) ->
        log.info("recurring jobs {} enqueued to queue {} on their schedules ({})", names, queue, zone));
  }

  /**
   * A Redis that is not up yet may come (readiness says so meanwhile), but one that refuses this
   * client keeps refusing it: starting anyway would only retry and log the same error for ever.
   */
  private void checkBackend() {
    try {
      components.backend().ping();
    } catch (BackendUnavailableException e) {
      log.warn("{} (starting anyway; /readyz answers 503 until the backend answers)", backendFailure(e));
    } catch (QueueException e) {
      throw refusal(e);
    }
  }

  /** A permanent error of the backend as its refusal of the runner; an outage as it is. */
  private static QueueException refusal(QueueException e) {
    return e instanceof BackendUnavailableException ? e : new BackendRefusedException(backendFailure(e), e);
  }

  /** Such as {@code queue-runner 1.0.0}, from the jar's manifest. */
  public static String version() {
    String version = RunnerProcess.class.getPackage().getImplementationVersion();
    return "queue-runner " + (version == null ? "(development build)" : version);
  }

  /** Names an outage as such, and a refusal (which waiting does not end) as a refusal. */
  public static String backendFailure(RuntimeException e) {
    boolean refused = e instanceof QueueException && !(e instanceof BackendUnavailableException);
    return (refused ? "backend refused: " : "backend unavailable: ") + Redaction.redactUrl(e.getMessage());
  }

  /** Null while the process is ready to work, else why not. */
  String notReadyReason() {
    if (stopping) {
      return "shutting down";
    }
    try {
      components.backend().ping();
    } catch (RuntimeException e) {
      return backendFailure(e);
    }
    RuntimeException scanFailure = source == null ? null : source.lastScanFailure();
    if (scanFailure != null) {
      return "producer scan failing: "
          + (scanFailure instanceof QueueException ? backendFailure(scanFailure) : scanFailure.getMessage());
    }
    if (config.get(ConfigKeys.METRICS_ENABLED)) {
      try {
        components.scrape();
      } catch (RuntimeException e) {
        return "metrics endpoint failing: " + e;
      }
    }
    return null;
  }

  /**
   * Throws what made a producer that scans once ({@code producer.source.rescan_interval: 0})
   * finish before its scan was complete; does nothing if it did not.
   *
   * @throws QueueException if the backend failed an enqueue during the scan (a {@link
   *     BackendUnavailableException} if it could not be reached)
   * @throws java.io.UncheckedIOException if the directory could not be read
   */
  public void throwIfSourceFailed() {
    RuntimeException failure = source == null ? null : source.failure();
    if (failure != null) {
      throw failure;
    }
  }

  /** The HTTP port actually bound, or -1 when HTTP is off. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** Stops everything in order; see the class comment. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopping = true;
    log.info("shutting down");
    closeQuietly(recurring);
    closeQuietly(recurringProducer);
    closeQuietly(source);
    closeQuietly(producer);
    if (consumer != null) {
      consumer.close();
    }
    if (handler instanceof AutoCloseable closeable) {
      closeQuietly(closeable);
    }
    closeQuietly(demoFiles);
    reportDiscardedJobs();
    closeQuietly(http);
    closeQuietly(components);
    log.info("stopped");
  }

  private void reportDiscardedJobs() {
    if (config.usesRedis()) {
      return;
    }
    try {
      long pending = components.backend().queues().stream()
          .map(queue -> components.backend().stats(queue))
          .mapToLong(QueueStats::pending).sum();
      if (pending > 0) {
        log.error("{} jobs were still pending in the in-memory backend and are lost", pending);
      }
    } catch (RuntimeException e) {
      log.debug("could not count pending jobs: {}", e.toString());
    }
  }
}
