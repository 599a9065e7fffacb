package dev.workqueue.metrics.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;

/**
 * The counters and timers of one queue tag value, registered together the first time it is seen.
 * {@code jobs.completed} and {@code jobs.failed} read the counts of the success and failure
 * timers, so each attempt's outcome is one meter update and the counter always equals the
 * histogram's count.
 */
public record QueueMeters(
    Counter produced,
    Counter consumed,
    Counter retried,
    Counter deadLettered,
    Counter recovered,
    Timer succeededDuration,
    Timer failedDuration) {

  /** Tag naming the (possibly folded) queue. */
  public static final String QUEUE_TAG = "queue";

  /** Registers (or finds, if already registered) every meter of {@code queueTag}. */
  public static QueueMeters register(MeterRegistry registry, String queueTag, List<Duration> durationBuckets) {
    Duration[] buckets = durationBuckets.toArray(Duration[]::new);
    Timer succeeded = timer(registry, queueTag, "success", buckets);
    Timer failed = timer(registry, queueTag, "failure", buckets);
    countOf(succeeded, registry, queueTag, "jobs.completed", "Handler attempts that succeeded");
    countOf(failed, registry, queueTag, "jobs.failed",
        "Handler attempts that failed or timed out; each is followed by a retry or a dead letter");
    return new QueueMeters(
        counter(registry, queueTag, "jobs.produced", "Jobs stored by producers"),
        counter(registry, queueTag, "jobs.consumed",
            "Jobs fetched by consumers, one per delivery; counted per fetch"),
        counter(registry, queueTag, "jobs.retried", "Failed jobs scheduled for another attempt"),
        counter(registry, queueTag, "jobs.dead.letter",
            "Jobs moved to the dead-letter queue: attempts exhausted or data undecodable"),
        counter(registry, queueTag, "jobs.recovered",
            "Jobs returned to their queue after the lease of a consumer expired"),
        succeeded,
        failed);
  }

  private static Counter counter(MeterRegistry registry, String queueTag, String name, String description) {
    return Counter.builder(name).description(description).tag(QUEUE_TAG, queueTag).register(registry);
  }

  private static void countOf(Timer timer, MeterRegistry registry, String queueTag, String name,
      String description) {
    FunctionCounter.builder(name, timer, Timer::count)
        .description(description)
        .tag(QUEUE_TAG, queueTag)
        .register(registry);
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
