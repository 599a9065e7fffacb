package dev.workqueue.metrics.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;

/**
 * The counters and timers of one queue tag value, registered together the first time it is seen.
 * {@code jobs.completed} and {@code jobs.failed} are counters of their own rather than functions
 * of the timers' counts: on a step registry (OTLP delta, Datadog, CloudWatch…) a timer counts only
 * the last interval, which a function counter would turn into differences of differences.
 */
public record QueueMeters(
    Counter produced,
    Counter consumed,
    Counter retried,
    Counter deadLettered,
    Counter recovered,
    Timer succeededDuration,
    Timer failedDuration,
    Counter succeeded,
    Counter failed,
    Counter enqueueUnavailable,
    Counter enqueueRefused) {

  /** Tag naming the (possibly folded) queue. */
  public static final String QUEUE_TAG = "queue";

  /** Registers (or finds, if already registered) every meter of {@code queueTag}. */
  public static QueueMeters register(MeterRegistry registry, String queueTag, List<Duration> durationBuckets) {
    Duration[] buckets = durationBuckets.toArray(Duration[]::new);
    return new QueueMeters(
        counter(registry, queueTag, "jobs.produced", "Jobs stored by producers"),
        counter(registry, queueTag, "jobs.consumed",
            "Jobs fetched by consumers, one per delivery; counted per fetch"),
        counter(registry, queueTag, "jobs.retried", "Failed jobs scheduled for another attempt"),
        counter(registry, queueTag, "jobs.dead.letter",
            "Jobs moved to the dead-letter queue: attempts exhausted or data undecodable"),
        counter(registry, queueTag, "jobs.recovered",
            "Jobs returned to their queue after the lease of a consumer expired"),
        timer(registry, queueTag, "success", buckets),
        timer(registry, queueTag, "failure", buckets),
        counter(registry, queueTag, "jobs.completed", "Handler attempts that succeeded"),
        counter(registry, queueTag, "jobs.failed",
            "Handler attempts that failed or timed out; each is followed by a retry or a dead letter"),
        enqueueFailed(registry, queueTag, "unavailable"),
        enqueueFailed(registry, queueTag, "refused"));
  }

  /** Counts a successful attempt and records how long its handler ran. */
  public void recordSuccess(Duration handlerTime) {
    succeeded.increment();
    succeededDuration.record(handlerTime);
  }

  /** Counts a failed attempt and records how long its handler ran. */
  public void recordFailure(Duration handlerTime) {
    failed.increment();
    failedDuration.record(handlerTime);
  }

  /** The counter of jobs whose enqueue the backend failed, as unavailable or as refused. */
  public Counter enqueueFailed(boolean unavailable) {
    return unavailable ? enqueueUnavailable : enqueueRefused;
  }

  private static Counter enqueueFailed(MeterRegistry registry, String queueTag, String reason) {
    return Counter.builder("jobs.enqueue.failed")
        .description("Jobs of enqueue calls the backend failed: unavailable (it could not be reached; "
            + "some may have been stored) or refused")
        .tag(QUEUE_TAG, queueTag)
        .tag("reason", reason)
        .register(registry);
  }

  private static Counter counter(MeterRegistry registry, String queueTag, String name, String description) {
    return Counter.builder(name).description(description).tag(QUEUE_TAG, queueTag).register(registry);
  }

  private static Timer timer(MeterRegistry registry, String queueTag, String outcome, Duration[] buckets) {
    return Timer.builder("job.processing.duration")
        .description("How long handler attempts ran, by outcome")
        .tag(QUEUE_TAG, queueTag)
        .tag("outcome", outcome)
        .serviceLevelObjectives(buckets)
        .register(registry);
  }
}
