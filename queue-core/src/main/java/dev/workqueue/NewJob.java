package dev.workqueue;

import dev.workqueue.internal.Problems;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a host asks a {@link Producer} to enqueue. Unset fields (null, or 0 for
 * {@code maxAttempts}) take the producer's defaults.
 *
 * @param payload the job's bytes
 * @param queue target queue, or {@code null} for the producer's default queue
 * @param priority priority lane, or {@code null} for the producer's default priority
 * @param id caller-chosen job id of 1 to 128 characters, not blank and without control
 *     characters, unique in its queue while its job is known (see {@link Builder#id(String)}),
 *     or {@code null} to generate one
 * @param runAt earliest run time for a delayed job, in the years 0000 to 9999, or {@code null}
 *     to run as soon as possible
 * @param delay delay from enqueue time, at most 3650 days, or {@code null}; cannot be combined
 *     with {@code runAt}
 * @param maxAttempts deliveries allowed, or 0 to let the consumer's retry policy decide
 * @param idempotencyKey de-duplication key, not blank, or {@code null}
 * @param headers small string metadata, never {@code null}; a producer takes at most {@link
 *     #MAX_HEADER_CHARS} characters of names and values in all
 */
public record NewJob(
    byte[] payload,
    String queue,
    String priority,
    String id,
    Instant runAt,
    Duration delay,
    int maxAttempts,
    String idempotencyKey,
    Map<String, String> headers) {

  /**
   * Prefix of the idempotency key a request with a caller-chosen id and no key of its own is
   * stored with: {@value}.
   */
  public static final String ID_KEY_PREFIX = "id:";

  /** Most characters of header names and values, in all, that a producer enqueues with a job. */
  public static final int MAX_HEADER_CHARS = 65_536;

  private static final Duration LONGEST_DELAY = Problems.LONGEST_RETENTION;
  private static final Instant EARLIEST_RUN_AT = Instant.parse("0000-01-01T00:00:00Z");
  private static final Instant LATEST_RUN_AT = Instant.parse("9999-12-31T23:59:59.999Z");

  public NewJob {
    Objects.requireNonNull(payload, "payload");
    if (runAt != null && delay != null) {
      throw new IllegalArgumentException("runAt cannot be combined with delay");
    }
    if (delay != null && (delay.isNegative() || delay.compareTo(LONGEST_DELAY) > 0)) {
      throw new IllegalArgumentException("delay must be zero or a positive duration of at most 3650 days "
          + "(a later time is given with runAt), but was " + delay);
    }
    // Backends keep run times as epoch milliseconds, and time arithmetic must not overflow.
    if (runAt != null && (runAt.isBefore(EARLIEST_RUN_AT) || runAt.isAfter(LATEST_RUN_AT))) {
      throw new IllegalArgumentException("runAt must be in the years 0000 to 9999, but was " + runAt);
    }
    if (maxAttempts < 0) {
      throw new IllegalArgumentException("maxAttempts must be at least 0, but was " + maxAttempts);
    }
    payload = payload.clone();
    headers = Job.copyOfHeaders(headers);
  }

  /** A copy of the payload. */
  @Override
  public byte[] payload() {
    return payload.clone();
  }

  /** The payload's length in bytes, without copying it. */
  public int payloadSize() {
    return payload.length;
  }

  /** A job with these bytes and every other field defaulted. */
  public static NewJob of(byte[] payload) {
    return builder(payload).build();
  }

  /** A job with this UTF-8 text as payload and every other field defaulted. */
  public static NewJob of(String payload) {
    return builder(payload).build();
  }

  /** Starts a job with these bytes. */
  public static Builder builder(byte[] payload) {
    return new Builder(payload);
  }

  /** Starts a job with this UTF-8 text as payload. */
  public static Builder builder(String payload) {
    return new Builder(Objects.requireNonNull(payload, "payload").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * This job with one more header, replacing any of the same name, or without it when {@code
   * value} is {@code null} (as {@link #withHeaders}); used by interceptors that propagate context.
   */
  public NewJob withHeader(String name, String value) {
    // Not Map.of, which refuses the null value that withHeaders documents as a removal.
    return withHeaders(Collections.singletonMap(Objects.requireNonNull(name, "header name"), value));
  }

  /**
   * This job with {@code added} headers, replacing any of the same names; a name given with a
   * {@code null} value is removed. Copies the payload once, where adding them one by one would
   * copy it once per header.
   */
  public NewJob withHeaders(Map<String, String> added) {
    Map<String, String> copy = new LinkedHashMap<>(headers);
    added.forEach((name, value) -> {
      if (value == null) {
        copy.remove(name);
      } else {
        copy.put(name, value);
      }
    });
    return new NewJob(payload, queue, priority, id, runAt, delay, maxAttempts, idempotencyKey, copy);
  }

  /**
   * This job with {@code defaultQueue} and {@code defaultPriority} where it names none, as a
   * producer fills them in; this job itself when it names both.
   */
  public NewJob withDefaults(String defaultQueue, String defaultPriority) {
    if (queue != null && priority != null) {
      return this;
    }
    return new NewJob(payload, queue != null ? queue : defaultQueue,
        priority != null ? priority : defaultPriority, id, runAt, delay, maxAttempts, idempotencyKey,
        headers);
  }

  /**
   * The job this request is stored as: its first attempt not yet made, with this request's queue
   * and priority (both must be set, see {@link #withDefaults}), payload, max attempts, headers
   * and idempotency key; a request with a caller-chosen {@code id} and no key is keyed by
   * {@value #ID_KEY_PREFIX} and its id, so that a job id given twice stores one job. Copies the
   * payload once.
   */
  public Job toJob(String jobId, Instant createdAt, Instant firstRunAt) {
    String key = idempotencyKey != null ? idempotencyKey : id != null ? ID_KEY_PREFIX + id : null;
    return new Job(jobId, queue, priority, payload, 0, maxAttempts, createdAt, firstRunAt, headers, key);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof NewJob job
        && java.util.Arrays.equals(payload, job.payload)
        && Objects.equals(queue, job.queue)
        && Objects.equals(priority, job.priority)
        && Objects.equals(id, job.id)
        && Objects.equals(runAt, job.runAt)
        && Objects.equals(delay, job.delay)
        && maxAttempts == job.maxAttempts
        && Objects.equals(idempotencyKey, job.idempotencyKey)
        && headers.equals(job.headers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(java.util.Arrays.hashCode(payload), queue, priority, id);
  }

  @Override
  public String toString() {
    return "NewJob[queue=" + queue + ", priority=" + priority + ", id=" + id + ", payloadSize="
        + payload.length + "]";
  }

  /** Builds a {@link NewJob}; every setter is optional. */
  public static final class Builder {
    private final byte[] payload;
    private String queue;
    private String priority;
    private String id;
    private Instant runAt;
    private Duration delay;
    private int maxAttempts;
    private String idempotencyKey;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Builder(byte[] payload) {
      this.payload = Objects.requireNonNull(payload, "payload");
    }

    /** Target queue; default: the producer's default queue. */
    public Builder queue(String queue) {
      this.queue = queue;
      return this;
    }

    /** Priority lane; default: the producer's default priority. */
    public Builder priority(String priority) {
      this.priority = priority;
      return this;
    }

    /**
     * Job id, unique in its queue: a producer stores a job whose id it was given only if no job
     * with that id is known in the queue, and otherwise returns {@code created = false}, as for
     * an {@link #idempotencyKey(String)} (the id serves
     * as the key {@value NewJob#ID_KEY_PREFIX}{@code <id>} unless the job has a key of its own).
     * Default: a generated unique id.
     */
    public Builder id(String id) {
      this.id = id;
      return this;
    }

    /** Earliest run time; default: now. */
    public Builder runAt(Instant runAt) {
      this.runAt = runAt;
      return this;
    }

    /** Delay from enqueue time; default: none. */
    public Builder delay(Duration delay) {
      this.delay = delay;
      return this;
    }

    /** Deliveries allowed; default 0, meaning the consumer's retry policy decides. */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Makes a second enqueue with the same key into the same queue a no-op (it returns the first
     * job's id with {@code created = false}) while the first job is in the queue (waiting,
     * delayed, running, retrying or dead-lettered) and for the producer's {@code idempotencyTtl}
     * after it has left (completed or deleted). A producer refuses a blank key. Default: none.
     */
    public Builder idempotencyKey(String idempotencyKey) {
      this.idempotencyKey = idempotencyKey;
      return this;
    }

    /** Adds a header; names and values must not be null. */
    public Builder header(String name, String value) {
      headers.put(Objects.requireNonNull(name, "header name"), Objects.requireNonNull(value, "header value"));
      return this;
    }

    /** @throws IllegalArgumentException if both runAt and delay are set or a value is negative */
    public NewJob build() {
      return new NewJob(payload, queue, priority, id, runAt, delay, maxAttempts, idempotencyKey, headers);
    }
  }
}
