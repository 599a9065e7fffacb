package dev.workqueue;

import dev.workqueue.internal.CompositeObserver;
import dev.workqueue.internal.DefaultConsumer;
import dev.workqueue.internal.Names;
import dev.workqueue.internal.Problems;
import dev.workqueue.spi.JobInterceptor;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.QueueObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Takes jobs of one queue from a backend and runs a {@link JobHandler} on them with a fixed
 * number of worker threads. Jobs are leased while they run; the consumer extends the leases of
 * its in-flight jobs, recovers jobs whose leases expired elsewhere, retries failures through the
 * backend's delayed set and dead-letters jobs that ran out of attempts.
 *
 * <pre>{@code
 * Consumer consumer = Consumer.builder(backend, job -> send(job.payloadAsString()))
 *     .queue("emails").priorities("high", "low").concurrency(8).build();
 * consumer.start();
 * ...
 * consumer.close(); // graceful: drains in-flight jobs, returns the rest
 * }</pre>
 *
 * <p>While a handler runs, the SLF4J MDC of its thread holds {@code job_id}, {@code queue} and
 * {@code attempt}, and for a job with a valid W3C traceparent header ({@link Job#traceParent()})
 * {@code trace_id} and {@code span_id}: the producer's trace and span, unless a tracing
 * interceptor puts its consumer span's ids over them. The consumer removes them after the job.
 *
 * <p>Threads are named {@code workqueue-<name>-worker-<n>} (the workers take turns fetching),
 * {@code workqueue-<name>-settler}, {@code workqueue-<name>-heartbeat} and
 * {@code workqueue-<name>-maintenance}.
 */
public interface Consumer extends AutoCloseable {

  /** Default {@link Builder#name(String)}: {@value}. */
  String DEFAULT_NAME = "consumer";
  /** Default {@link Builder#concurrency(int)}: 4. */
  int DEFAULT_CONCURRENCY = 4;
  /** Default {@link Builder#leaseDuration(Duration)}: 30 seconds. */
  Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(30);
  /** Default {@link Builder#jobTimeout(Duration)}: 5 minutes. */
  Duration DEFAULT_JOB_TIMEOUT = Duration.ofMinutes(5);
  /** Default {@link Builder#drainTimeout(Duration)}: 30 seconds. */
  Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
  /** Default {@link Builder#recoveryInterval(Duration)}: 5 seconds. */
  Duration DEFAULT_RECOVERY_INTERVAL = Duration.ofSeconds(5);
  /** Default {@link Builder#fetchWait(Duration)}: 2 seconds. */
  Duration DEFAULT_FETCH_WAIT = Duration.ofSeconds(2);
  /** Default {@link Builder#fetchBatchSize(int)}: 64. */
  int DEFAULT_FETCH_BATCH_SIZE = 64;

  /**
   * Starts fetching and processing. The consumer's threads are daemon threads, so they do not keep
   * the JVM alive on their own: an application whose main thread only starts consumers must wait
   * (for a shutdown signal, say) and {@link #close()} them before it exits.
   *
   * @throws IllegalStateException if already started or closed
   */
  void start();

  /**
   * Graceful shutdown: stops fetching, waits up to the drain timeout for in-flight jobs, then
   * interrupts the rest and returns them to their queue uncounted. Idempotent; blocks until done,
   * also when the calling thread is interrupted (its interrupt status is kept). Called from one of
   * the consumer's own threads (a handler, or an observer the consumer calls), it starts the
   * shutdown on a thread of its own and returns at once: waiting would mean waiting for itself.
   * Called while another thread is in {@link #start()}, it lets the start finish, then drains.
   */
  @Override
  void close();

  /** The consumer's name, as given to the builder. */
  String name();

  /** The unique id this consumer uses towards the backend: name plus a random suffix. */
  String id();

  /** The queue this consumer serves. */
  String queue();

  /** The current lifecycle state. */
  ConsumerState state();

  /** How many worker threads are running a handler right now. */
  int activeWorkers();

  /** The circuit breaker's state; {@link CircuitBreakerState#CLOSED} when there is none. */
  CircuitBreakerState circuitBreakerState();

  /** Starts a consumer that runs {@code handler} on jobs from {@code backend}. */
  static Builder builder(QueueBackend backend, JobHandler handler) {
    return new Builder(backend, handler);
  }

  /** Builds a {@link Consumer}; {@link #build()} validates and leaves the builder reusable. */
  final class Builder {
    private static final int MAX_CONCURRENCY = 10_000;
    private static final int MAX_PREFETCH = 1_000_000;

    private final QueueBackend backend;
    private final JobHandler handler;
    private String name = DEFAULT_NAME;
    private String queue = Producer.DEFAULT_QUEUE;
    private List<String> priorities = List.of(Producer.DEFAULT_PRIORITY);
    private PriorityMode priorityMode = PriorityMode.strict();
    private int concurrency = DEFAULT_CONCURRENCY;
    private Integer prefetch;
    private int fetchBatchSize = DEFAULT_FETCH_BATCH_SIZE;
    private RetryPolicy retryPolicy = RetryPolicy.ofDefaults();
    private Duration jobTimeout = DEFAULT_JOB_TIMEOUT;
    private Duration leaseDuration = DEFAULT_LEASE_DURATION;
    private Duration heartbeatInterval;
    private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
    private Duration recoveryInterval = DEFAULT_RECOVERY_INTERVAL;
    private Duration fetchWait = DEFAULT_FETCH_WAIT;
    private CircuitBreakerConfig circuitBreaker;
    private Clock clock = Clock.systemUTC();
    private final List<QueueObserver> observers = new ArrayList<>();
    private final List<JobInterceptor> interceptors = new ArrayList<>();

    private Builder(QueueBackend backend, JobHandler handler) {
      this.backend = backend;
      this.handler = handler;
    }

    /** Name used in thread names, logs and events; default {@value Consumer#DEFAULT_NAME}. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** Queue to serve; default {@value Producer#DEFAULT_QUEUE}. */
    public Builder queue(String queue) {
      this.queue = queue;
      return this;
    }

    /** Priority lanes to serve, highest first; default the single lane {@value Producer#DEFAULT_PRIORITY}. */
    public Builder priorities(String... priorities) {
      return priorities(priorities == null ? null : Arrays.asList(priorities));
    }

    /** Priority lanes to serve, highest first. */
    public Builder priorities(List<String> priorities) {
      // Not List.copyOf: a null name is reported by build() with the rule, not thrown here unnamed.
      this.priorities = priorities == null ? null : Collections.unmodifiableList(new ArrayList<>(priorities));
      return this;
    }

    /** How lanes are ordered per fetch; default {@link PriorityMode#strict()}. */
    public Builder priorityMode(PriorityMode priorityMode) {
      this.priorityMode = priorityMode;
      return this;
    }

    /** Worker threads, which is also the most jobs in flight: 1 to 10,000; default 4. */
    public Builder concurrency(int concurrency) {
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Jobs taken ahead of free workers, so workers never wait for a fetch round trip; default as
     * many as the concurrency. Prefetched jobs are leased (and their leases extended) while they
     * wait; one that waits longer than the job timeout (its workers stuck) goes back to the
     * queue. Use 0 for long jobs shared among many consumers, so none hoards work; raise it for
     * tiny jobs where throughput matters. At most 1,000,000.
     */
    public Builder prefetch(int prefetch) {
      this.prefetch = prefetch;
      return this;
    }

    /** Most jobs taken in one fetch; default 64. */
    public Builder fetchBatchSize(int fetchBatchSize) {
      this.fetchBatchSize = fetchBatchSize;
      return this;
    }

    /** Backoff and attempts for failures; default {@link RetryPolicy#ofDefaults()}. */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = retryPolicy;
      return this;
    }

    /** Longest a handler may run before it is interrupted and the attempt fails; default 5 minutes. */
    public Builder jobTimeout(Duration jobTimeout) {
      this.jobTimeout = jobTimeout;
      return this;
    }

    /** How long a taken job stays leased without a heartbeat; default 30 seconds. */
    public Builder leaseDuration(Duration leaseDuration) {
      this.leaseDuration = leaseDuration;
      return this;
    }

    /**
     * How often in-flight leases are extended, at most half of the lease duration so that a lease
     * survives one late heartbeat; default a third of the lease duration.
     */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    /** How long {@link Consumer#close()} waits for in-flight jobs; default 30 seconds. */
    public Builder drainTimeout(Duration drainTimeout) {
      this.drainTimeout = drainTimeout;
      return this;
    }

    /** How often this consumer recovers jobs with expired leases; default 5 seconds. */
    public Builder recoveryInterval(Duration recoveryInterval) {
      this.recoveryInterval = recoveryInterval;
      return this;
    }

    /**
     * Longest a fetch blocks on the backend when the queue is empty: at least 10 ms; default 2
     * seconds. Bounds the idle request rate: an idle consumer fetches again when a wait runs out.
     */
    public Builder fetchWait(Duration fetchWait) {
      this.fetchWait = fetchWait;
      return this;
    }

    /** Enables a circuit breaker with this configuration; default none. */
    public Builder circuitBreaker(CircuitBreakerConfig circuitBreaker) {
      this.circuitBreaker = circuitBreaker;
      return this;
    }

    /**
     * Clock for the circuit breaker's window and cooldown and for the time on job errors; default
     * the UTC system clock. Handler durations and timeouts are measured on {@link System#nanoTime()}.
     */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Adds an observer of job and consumer events. */
    public Builder observer(QueueObserver observer) {
      observers.add(Objects.requireNonNull(observer, "observer"));
      return this;
    }

    /**
     * Adds an interceptor around handler invocations; the first added is outermost. {@link
     * JobInterceptor#PASS_THROUGH} is left out.
     */
    public Builder interceptor(JobInterceptor interceptor) {
      if (Objects.requireNonNull(interceptor, "interceptor") != JobInterceptor.PASS_THROUGH) {
        interceptors.add(interceptor);
      }
      return this;
    }

    /** @throws InvalidConfigurationException naming every invalid argument */
    public Consumer build() {
      Duration heartbeat = heartbeatInterval != null ? heartbeatInterval
          : leaseDuration != null ? leaseDuration.dividedBy(3) : null;
      Problems problems = new Problems("consumer")
          .notNull(backend, "backend")
          .notNull(handler, "handler")
          .check(Names.isValid(name), "name", Names.RULE, name)
          .check(Names.isValid(queue), "queue", Names.RULE, queue)
          .check(concurrency >= 1 && concurrency <= MAX_CONCURRENCY, "concurrency",
              "between 1 and " + MAX_CONCURRENCY, concurrency)
          .check(prefetch == null || prefetch >= 0 && prefetch <= MAX_PREFETCH, "prefetch",
              "between 0 and " + MAX_PREFETCH, prefetch)
          .atLeast(fetchBatchSize, 1, "fetchBatchSize")
          .notNull(retryPolicy, "retryPolicy")
          .positiveUpTo(jobTimeout, Problems.LONGEST_SETTING, "jobTimeout")
          .within(leaseDuration, Duration.ofMillis(100), Problems.LONGEST_SETTING, "leaseDuration",
              "between 100ms and 365 days")
          .within(heartbeatInterval == null ? Duration.ofSeconds(1) : heartbeatInterval, Duration.ofMillis(1),
              Problems.LONGEST_SETTING, "heartbeatInterval", "between 1ms and 365 days")
          .within(drainTimeout, Duration.ZERO, Problems.LONGEST_SETTING, "drainTimeout",
              "zero or a positive duration of at most 365 days")
          .within(recoveryInterval, Duration.ofMillis(1), Problems.LONGEST_SETTING, "recoveryInterval",
              "between 1ms and 365 days")
          .within(fetchWait, Duration.ofMillis(10), Problems.LONGEST_SETTING, "fetchWait",
              "between 10ms and 365 days")
          .notNull(priorityMode, "priorityMode")
          .notNull(clock, "clock");
      checkPriorities(problems);
      // A lease must survive one late or failed heartbeat (a pause, a slow Redis): with less than
      // two beats per lease, any stall lets another consumer take a running job.
      if (heartbeat != null && leaseDuration != null
          && heartbeat.multipliedBy(2).compareTo(leaseDuration) > 0) {
        problems.add("heartbeatInterval must be at most half of leaseDuration (" + leaseDuration
            + "), but was " + heartbeat);
      }
      problems.throwIfAny();
      return new DefaultConsumer(new DefaultConsumer.Settings(name, queue, priorities, priorityMode,
          concurrency, prefetch != null ? prefetch : concurrency, fetchBatchSize, retryPolicy,
          jobTimeout, leaseDuration, heartbeat, drainTimeout,
          recoveryInterval, fetchWait, DefaultConsumer.IDLE_POLL, circuitBreaker, clock), backend, handler,
          CompositeObserver.of(observers), List.copyOf(interceptors));
    }

    private void checkPriorities(Problems problems) {
      if (priorities == null || priorities.isEmpty()) {
        problems.add("priorities must name at least one lane, but was " + priorities);
        return;
      }
      problems.check(priorities.stream().allMatch(Names::isValid), "priorities",
          "names of " + Names.RULE, priorities);
      problems.check(new HashSet<>(priorities).size() == priorities.size(), "priorities",
          "distinct names", priorities);
      if (priorityMode instanceof PriorityMode.Weighted weighted) {
        Map<String, Integer> weights = weighted.weights();
        for (String priority : priorities) {
          Integer weight = weights.get(priority);
          problems.check(weight != null && weight > 0, "priorityMode.weights." + priority,
              "a positive weight for every served priority", weight);
        }
      }
    }
  }
}
