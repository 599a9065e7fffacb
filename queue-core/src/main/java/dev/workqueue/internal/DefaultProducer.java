package dev.workqueue.internal;

import dev.workqueue.EnqueueResult;
import dev.workqueue.InvalidJobException;
import dev.workqueue.Job;
import dev.workqueue.NewJob;
import dev.workqueue.PayloadTooLargeException;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.RateLimiter;
import dev.workqueue.event.JobsEnqueueFailedEvent;
import dev.workqueue.spi.JobInterceptor;
import dev.workqueue.spi.QueueBackend;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/** The producer: validates, fills defaults, rate-limits and stores jobs through the backend. */
public final class DefaultProducer implements Producer {
  private final QueueBackend backend;
  private final String defaultQueue;
  private final String defaultPriority;
  private final RateLimiter rateLimiter;
  private final int maxPayloadBytes;
  private final Duration idempotencyTtl;
  private final Clock clock;
  private final CompositeObserver observer;
  private final JobInterceptor.EnqueueChain chain;
  private final AtomicBoolean closed = new AtomicBoolean();

  public DefaultProducer(QueueBackend backend, String defaultQueue, String defaultPriority,
      RateLimiter rateLimiter, int maxPayloadBytes, Duration idempotencyTtl, Clock clock,
      CompositeObserver observer, List<JobInterceptor> interceptors) {
    this.backend = backend;
    this.defaultQueue = defaultQueue;
    this.defaultPriority = defaultPriority;
    this.rateLimiter = rateLimiter;
    this.maxPayloadBytes = maxPayloadBytes;
    this.idempotencyTtl = idempotencyTtl;
    this.clock = clock;
    this.observer = observer;
    JobInterceptor.EnqueueChain innermost = this::store;
    for (int i = interceptors.size() - 1; i >= 0; i--) {
      JobInterceptor interceptor = interceptors.get(i);
      JobInterceptor.EnqueueChain next = innermost;
      innermost = jobs -> interceptor.aroundEnqueue(jobs, next);
    }
    this.chain = innermost;
  }

  @Override
  public EnqueueResult enqueue(NewJob job) {
    if (job == null) {
      throw new NullPointerException("job must be set, but was null");
    }
    return enqueueAll(List.of(job)).get(0);
  }

  @Override
  public List<EnqueueResult> enqueueAll(List<NewJob> jobs) {
    if (closed.get()) {
      throw new IllegalStateException("producer is closed");
    }
    if (jobs == null) {
      throw new NullPointerException("jobs must be set, but was null");
    }
    if (jobs.isEmpty()) {
      return List.of();
    }
    List<NewJob> defaulted = new ArrayList<>(jobs.size());
    Set<String> explicitIds = null;
    for (NewJob job : jobs) {
      if (job == null) {
        throw new NullPointerException(
            "jobs must not hold null, but jobs[" + defaulted.size() + "] was null");
      }
      validate(job);
      if (job.id() != null) {
        // Two jobs with one id in one call would be stored as identical data: a set (the
        // delayed jobs) would keep only one of them.
        explicitIds = explicitIds != null ? explicitIds : new HashSet<>();
        if (!explicitIds.add(job.id())) {
          throw new InvalidJobException("id \"" + job.id() + "\" is given to more than one job of this "
              + "call; give each job its own id, or use an idempotency key to enqueue a job once");
        }
      }
      // Interceptors see where each job goes.
      defaulted.add(job.withDefaults(defaultQueue, defaultPriority));
    }
    if (rateLimiter != null) {
      try {
        rateLimiter.acquire(jobs.size());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QueueException("interrupted while waiting for a rate-limit permit", e);
      }
    }
    return chain.proceed(defaulted);
  }

  private void validate(NewJob job) {
    int size = job.payloadSize();
    if (size > maxPayloadBytes) {
      throw new PayloadTooLargeException(size, maxPayloadBytes);
    }
    if (job.queue() != null && !Names.isValid(job.queue())) {
      throw new InvalidJobException(
          "queue must be " + Names.RULE + ", but was " + Problems.describe(job.queue()));
    }
    if (job.priority() != null && !Names.isValid(job.priority())) {
      throw new InvalidJobException(
          "priority must be " + Names.RULE + ", but was " + Problems.describe(job.priority()));
    }
    // Ids appear in log lines and admin listings: a control character could forge or hide lines.
    String id = job.id();
    if (id != null && (id.isBlank() || id.length() > 128 || ControlCharacters.present(id))) {
      throw new InvalidJobException("id must be 1 to 128 non-blank characters without control "
          + "characters, but was " + Problems.describe(id));
    }
    // The Redis backend took an empty key for none and stored every such job, the in-memory one
    // stored only the first: a blank key is a caller's bug (an unset header, say), not a key.
    if (job.idempotencyKey() != null && job.idempotencyKey().isBlank()) {
      throw new InvalidJobException("idempotencyKey must be null or non-blank, but was "
          + Problems.describe(job.idempotencyKey()));
    }
    Surrogates.requireWholePairs(id, "id");
    Surrogates.requireWholePairs(job.idempotencyKey(), "idempotencyKey");
    int headerChars = 0;
    for (Map.Entry<String, String> header : job.headers().entrySet()) {
      headerChars += header.getKey().length() + header.getValue().length();
    }
    // Headers are not payload, so maxPayloadBytes does not bound them; without a bound of their own a
    // runaway header would make an element Redis refuses, or one every consumer must read whole.
    if (headerChars > NewJob.MAX_HEADER_CHARS) {
      throw new InvalidJobException("headers must hold at most " + NewJob.MAX_HEADER_CHARS
          + " characters of names and values in all, but held " + headerChars);
    }
  }

  private List<EnqueueResult> store(List<NewJob> requests) {
    Instant now = clock.instant();
    long nowMillis = now.toEpochMilli();
    List<Job> jobs = new ArrayList<>(requests.size());
    for (NewJob request : requests) {
      Instant runAt = request.runAt() != null ? request.runAt()
          : request.delay() != null ? now.plus(request.delay()) : now;
      jobs.add(request.toJob(request.id() != null ? request.id() : JobIds.next(nowMillis), now, runAt));
    }
    List<EnqueueResult> results;
    try {
      results = backend.enqueue(jobs, idempotencyTtl);
    } catch (RuntimeException e) {
      observer.onEnqueueFailed(new JobsEnqueueFailedEvent(jobs, e));
      throw e;
    }
    if (observer.observesEnqueued()) {
      observer.onEnqueuedBatch(new EnqueuedEvents(jobs, results));
    }
    return results;
  }

  @Override
  public void close() {
    closed.set(true);
  }
}
