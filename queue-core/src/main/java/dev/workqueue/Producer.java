package dev.workqueue;

import dev.workqueue.internal.CompositeObserver;
import dev.workqueue.internal.DefaultProducer;
import dev.workqueue.internal.Names;
import dev.workqueue.internal.Problems;
import dev.workqueue.spi.JobInterceptor;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.QueueObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Enqueues jobs into a backend. Thread-safe; one producer may be shared by the whole host.
 * Closing a producer does not close its backend.
 *
 * <pre>{@code
 * Producer producer = Producer.builder(backend).defaultQueue("emails").build();
 * producer.enqueue(NewJob.builder("{\"to\":\"a@b.c\"}").priority("high").build());
 * }</pre>
 */
public interface Producer extends AutoCloseable {

  /** Default queue for jobs that name none: {@value}. */
  String DEFAULT_QUEUE = "default";
  /** Default priority for jobs that name none: {@value}. */
  String DEFAULT_PRIORITY = "default";
  /** Default {@link Builder#maxPayloadBytes(int)}: 1 MiB. */
  int DEFAULT_MAX_PAYLOAD_BYTES = 1 << 20;
  /**
   * Largest {@link Builder#maxPayloadBytes(int)}: 512 MiB, Redis's default limit on one value
   * ({@code proto-max-bulk-len}); a job's stored form must also fit in a Java array.
   */
  int LARGEST_MAX_PAYLOAD_BYTES = 512 << 20;
  /** Default {@link Builder#idempotencyTtl(Duration)}: 24 hours. */
  Duration DEFAULT_IDEMPOTENCY_TTL = Duration.ofHours(24);
  /** Longest {@link Builder#idempotencyTtl(Duration)}: 3650 days. */
  Duration MAX_IDEMPOTENCY_TTL = Problems.LONGEST_RETENTION;

  /**
   * Enqueues one job, taking a permit from the rate limiter first if there is one.
   *
   * @throws PayloadTooLargeException if the payload exceeds the producer's limit
   * @throws InvalidJobException if a queue or priority name or id is malformed, the idempotency
   *     key is blank, or the headers exceed {@link NewJob#MAX_HEADER_CHARS}
   * @throws BackendUnavailableException if the backend cannot be reached; the job may or may not
   *     have been stored, so retry with an idempotency key to be safe
   * @throws QueueException if interrupted while waiting for a rate-limit permit (the interrupt
   *     flag is restored) or the backend failed otherwise
   * @throws IllegalStateException if the producer is closed
   * @throws NullPointerException if {@code job} is null
   */
  EnqueueResult enqueue(NewJob job);

  /** Enqueues {@code payload} to the default queue and priority; see {@link #enqueue(NewJob)}. */
  default EnqueueResult enqueue(byte[] payload) {
    return enqueue(NewJob.of(payload));
  }

  /** Enqueues UTF-8 {@code payload} to the default queue and priority; see {@link #enqueue(NewJob)}. */
  default EnqueueResult enqueue(String payload) {
    return enqueue(NewJob.of(payload));
  }

  /**
   * Enqueues many jobs in one backend round trip, after validating all of them: if any is
   * invalid, none is enqueued. Takes {@code jobs.size()} permits from the rate limiter.
   *
   * @return one result per job, in order
   * @throws PayloadTooLargeException if any payload exceeds the limit
   * @throws InvalidJobException if any queue or priority name or id is malformed, an idempotency
   *     key is blank, headers exceed {@link NewJob#MAX_HEADER_CHARS}, or two jobs are given the
   *     same id
   * @throws BackendUnavailableException if the backend cannot be reached
   * @throws IllegalStateException if the producer is closed
   * @throws NullPointerException if {@code jobs} is or holds null
   */
  List<EnqueueResult> enqueueAll(List<NewJob> jobs);

  /** Marks the producer closed; later calls throw {@link IllegalStateException}. Idempotent. */
  @Override
  void close();

  /** Starts a producer on {@code backend}. */
  static Builder builder(QueueBackend backend) {
    return new Builder(backend);
  }

  /** Builds a {@link Producer}; {@link #build()} validates and leaves the builder reusable. */
  final class Builder {
    private final QueueBackend backend;
    private String defaultQueue = DEFAULT_QUEUE;
    private String defaultPriority = DEFAULT_PRIORITY;
    private RateLimiter rateLimiter;
    private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
    private Duration idempotencyTtl = DEFAULT_IDEMPOTENCY_TTL;
    private Clock clock = Clock.systemUTC();
    private final List<QueueObserver> observers = new ArrayList<>();
    private final List<JobInterceptor> interceptors = new ArrayList<>();

    private Builder(QueueBackend backend) {
      this.backend = backend;
    }

    /** Queue for jobs that name none; default {@value Producer#DEFAULT_QUEUE}. */
    public Builder defaultQueue(String defaultQueue) {
      this.defaultQueue = defaultQueue;
      return this;
    }

    /** Priority for jobs that name none; default {@value Producer#DEFAULT_PRIORITY}. */
    public Builder defaultPriority(String defaultPriority) {
      this.defaultPriority = defaultPriority;
      return this;
    }

    /** Limiter taking one permit per job; default none. */
    public Builder rateLimiter(RateLimiter rateLimiter) {
      this.rateLimiter = rateLimiter;
      return this;
    }

    /** Largest payload accepted, in bytes, 1 to 512 MiB; default 1 MiB. */
    public Builder maxPayloadBytes(int maxPayloadBytes) {
      this.maxPayloadBytes = maxPayloadBytes;
      return this;
    }

    /**
     * How long an idempotency key stays known after its job has left the queue (completed, or
     * deleted); while the job is in the queue its key is always known. At most 3650 days;
     * default 24 hours.
     */
    public Builder idempotencyTtl(Duration idempotencyTtl) {
      this.idempotencyTtl = idempotencyTtl;
      return this;
    }

    /** Clock for created-at and delayed run times; default the UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Adds an observer of enqueue events. */
    public Builder observer(QueueObserver observer) {
      observers.add(Objects.requireNonNull(observer, "observer"));
      return this;
    }

    /**
     * Adds an interceptor around enqueue calls; the first added is outermost. {@link
     * JobInterceptor#PASS_THROUGH} is left out.
     */
    public Builder interceptor(JobInterceptor interceptor) {
      if (Objects.requireNonNull(interceptor, "interceptor") != JobInterceptor.PASS_THROUGH) {
        interceptors.add(interceptor);
      }
      return this;
    }

    /** @throws InvalidConfigurationException naming every invalid argument */
    public Producer build() {
      new Problems("producer")
          .notNull(backend, "backend")
          .check(Names.isValid(defaultQueue), "defaultQueue", Names.RULE, defaultQueue)
          .check(Names.isValid(defaultPriority), "defaultPriority", Names.RULE, defaultPriority)
          // Larger limits let through jobs whose stored form overflowed an array's size.
          .check(maxPayloadBytes >= 1 && maxPayloadBytes <= LARGEST_MAX_PAYLOAD_BYTES, "maxPayloadBytes",
              "between 1 and " + LARGEST_MAX_PAYLOAD_BYTES + " (512 MiB)", maxPayloadBytes)
          // A longer TTL overflowed when added to the time: every keyed enqueue failed on Redis, and
          // in memory the key expired at once, so nothing was de-duplicated.
          .positiveUpTo(idempotencyTtl, MAX_IDEMPOTENCY_TTL, "idempotencyTtl")
          .notNull(clock, "clock")
          .throwIfAny();
      return new DefaultProducer(backend, defaultQueue, defaultPriority, rateLimiter, maxPayloadBytes,
          idempotencyTtl, clock, CompositeObserver.of(observers), List.copyOf(interceptors));
    }
  }
}
