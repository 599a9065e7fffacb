package dev.workqueue.runner.internal;

import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueStats;
import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.runner.internal.config.Durations;
import dev.workqueue.runner.internal.config.RunnerConfig;
import dev.workqueue.spi.QueueBackend;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code bench} workload: enqueues N jobs at an offered rate while a consumer in the same
 * process runs a no-op handler, and measures enqueue rate, processing rate and end-to-end latency
 * (enqueue to handler start, from the job's created-at).
 */
public final class Bench {
  private static final int BATCH = 500;
  /**
   * Most payload bytes in one batch: 500 large payloads made one request of up to gigabytes, which
   * outlasted the socket timeout and left the part Redis had stored on the queue.
   */
  private static final int BATCH_BYTES = 8 << 20;

  private Bench() {}

  /**
   * What to run.
   *
   * @param jobs jobs to enqueue and measure
   * @param warmupJobs jobs run first, at the same rate, and left out of every figure
   * @param payloadBytes size of each payload
   * @param queue queue to use
   * @param priority priority of every job
   * @param offeredRate jobs per second offered; 0 enqueues as fast as possible, in batches
   * @param concurrency worker threads
   * @param timeout longest wait for all jobs to be processed
   */
  public record Settings(int jobs, int warmupJobs, int payloadBytes, String queue, String priority,
      double offeredRate, int concurrency, Duration timeout) {}

  /**
   * What was measured.
   *
   * @param backend which backend ran the bench: {@code redis} or {@code in-memory}
   * @param settings what was run
   * @param processed jobs processed before the timeout
   * @param jobsLeft jobs the queue still held after the run: those a timed-out run did not process
   * @param enqueueSeconds time spent enqueueing
   * @param totalSeconds time from the first enqueue to the last job processed
   * @param latencyMillis end-to-end latency percentiles: p50, p95, p99 and max
   */
  public record Report(String backend, Settings settings, int processed, long jobsLeft,
      double enqueueSeconds, double totalSeconds, Map<String, Double> latencyMillis) {

    /** Jobs enqueued. */
    public int jobs() {
      return settings.jobs();
    }

    /** Whether the timeout ended the run before every job was processed. */
    public boolean timedOut() {
      return processed < jobs();
    }

    /** Jobs enqueued per second. */
    public double enqueueRate() {
      return jobs() / Math.max(enqueueSeconds, 1e-9);
    }

    /** Jobs processed per second, first enqueue to last completion. */
    public double processingRate() {
      return processed / Math.max(totalSeconds, 1e-9);
    }

    /** The report as a JSON-ready map. */
    public Map<String, Object> toMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("backend", backend);
      map.put("queue", settings.queue());
      map.put("jobs", jobs());
      map.put("warmup_jobs", settings.warmupJobs());
      map.put("processed", processed);
      map.put("timed_out", timedOut());
      map.put("jobs_left", jobsLeft);
      map.put("payload_bytes", settings.payloadBytes());
      map.put("priority", settings.priority());
      map.put("offered_rate_per_sec", settings.offeredRate() == 0 ? null : settings.offeredRate());
      map.put("concurrency", settings.concurrency());
      map.put("enqueue_seconds", round(enqueueSeconds));
      map.put("enqueue_rate_per_sec", round(enqueueRate()));
      map.put("total_seconds", round(totalSeconds));
      map.put("processing_rate_per_sec", round(processingRate()));
      Map<String, Object> latency = new LinkedHashMap<>();
      latencyMillis.forEach((name, value) -> latency.put(name, round(value)));
      map.put("latency_ms", latency);
      return map;
    }

    /** The report as a small human-readable table. */
    public String toTable() {
      StringBuilder table = new StringBuilder();
      table.append(String.format("backend            %s%n", backend));
      table.append(String.format("jobs               %d enqueued, %d processed (payload %d bytes, "
          + "priority %s, concurrency %d, after %d warm-up jobs)%n", jobs(), processed,
          settings.payloadBytes(), settings.priority(), settings.concurrency(), settings.warmupJobs()));
      table.append(String.format("offered rate       %s%n",
          settings.offeredRate() == 0 ? "unlimited" : settings.offeredRate() + " jobs/s"));
      table.append(String.format("enqueue rate       %,.0f jobs/s (%.2f s)%n", enqueueRate(),
          enqueueSeconds));
      table.append(String.format("processing rate    %,.0f jobs/s (%.2f s)%n", processingRate(),
          totalSeconds));
      if (processed == 0) {
        table.append(String.format("latency ms         none measured%n"));
      } else {
        table.append(String.format("latency ms         p50 %.2f  p95 %.2f  p99 %.2f  max %.2f%n",
            latencyMillis.get("p50"), latencyMillis.get("p95"), latencyMillis.get("p99"),
            latencyMillis.get("max")));
      }
      if (timedOut()) {
        table.append(String.format("timed out          %s%n", timeoutSummary()));
      }
      return table.toString();
    }

    /** Such as {@code after 5m: 3 of 20 jobs processed, 17 left on queue "bench"}. */
    public String timeoutSummary() {
      return "after " + Durations.format(settings.timeout()) + ": " + processed + " of " + jobs()
          + " jobs processed, " + jobsLeft + " left on queue \"" + settings.queue() + "\"";
    }

    /** Two decimals; NaN, a latency nothing measured, stays NaN and so JSON null. */
    private static double round(double value) {
      return Double.isNaN(value) ? value : Math.round(value * 100.0) / 100.0;
    }
  }

  /**
   * The jobs {@code queue} holds, such as {@code 3 waiting, 0 delayed and 1 in flight}, or null if
   * it holds none. The bench must run on a queue that holds none: its handler acknowledges every
   * job it takes without running it.
   */
  public static String jobsHeld(QueueBackend backend, String queue) {
    QueueStats stats = backend.stats(queue);
    return stats.pending() == 0 ? null : stats.totalWaiting() + " waiting, " + stats.delayed()
        + " delayed and " + stats.inFlight() + " in flight";
  }

  /**
   * Runs the bench on {@code components}' backend with the runner's consumer settings. The queue
   * should hold no jobs (see {@link #jobsHeld}).
   */
  public static Report run(Components components, RunnerConfig config, Settings settings)
      throws InterruptedException {
    long[] latencyNanos = new long[settings.jobs()];
    AtomicInteger processed = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(settings.jobs());
    // Warm-up jobs are all processed before the first measured job is enqueued.
    CountDownLatch warmingUp = new CountDownLatch(settings.warmupJobs());
    Clock clock = Clock.systemUTC();
    Consumer consumer = components.consumerBuilder(job -> {
      if (warmingUp.getCount() > 0) {
        warmingUp.countDown();
        return;
      }
      Duration latency = Duration.between(job.createdAt(), clock.instant());
      int index = processed.getAndIncrement();
      if (index < latencyNanos.length) {
        latencyNanos[index] = Math.max(0, latency.toNanos());
      }
      done.countDown();
    }).name("bench").queue(settings.queue()).concurrency(settings.concurrency()).build();
    components.bindGauges(consumer);
    byte[] payload = new byte[settings.payloadBytes()];
    Arrays.fill(payload, (byte) 'x');
    consumer.start();
    try (Producer producer = components.producerBuilder()
        .defaultQueue(settings.queue())
        .defaultPriority(settings.priority())
        .maxPayloadBytes(Math.max(Producer.DEFAULT_MAX_PAYLOAD_BYTES, settings.payloadBytes()))
        .build()) {
      enqueue(producer, payload, settings.offeredRate(), settings.warmupJobs());
      warmingUp.await(settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
      long start = System.nanoTime();
      enqueue(producer, payload, settings.offeredRate(), settings.jobs());
      long enqueued = System.nanoTime();
      done.await(settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
      long finished = System.nanoTime();
      // Closing returns the jobs still in flight to the queue, where they count as left.
      consumer.close();
      int count = Math.min(processed.get(), settings.jobs());
      return new Report(config.usesRedis() ? "redis" : "in-memory", settings, count,
          components.backend().stats(settings.queue()).pending(), (enqueued - start) / 1e9,
          (finished - start) / 1e9, percentiles(latencyNanos, count));
    } finally {
      consumer.close();
    }
  }

  private static void enqueue(Producer producer, byte[] payload, double offeredRate, int jobs)
      throws InterruptedException {
    if (offeredRate == 0) {
      int batchSize = jobsPerBatch(payload.length);
      for (int sent = 0; sent < jobs; sent += batchSize) {
        List<NewJob> batch = new ArrayList<>();
        for (int i = sent; i < Math.min(jobs, sent + batchSize); i++) {
          batch.add(NewJob.of(payload));
        }
        producer.enqueueAll(batch);
      }
      return;
    }
    RateLimiter limiter = RateLimiter.local(RateLimiterConfig.builder()
        .permitsPerSecond(offeredRate).build());
    for (int i = 0; i < jobs; i++) {
      limiter.acquire();
      producer.enqueue(NewJob.of(payload));
    }
  }

  /** Jobs per enqueue call when enqueueing as fast as possible: 500, fewer for large payloads. */
  static int jobsPerBatch(int payloadBytes) {
    return Math.max(1, Math.min(BATCH, BATCH_BYTES / Math.max(1, payloadBytes)));
  }

  /** p50, p95, p99 and max of the first {@code count} values, in milliseconds (nearest rank). */
  static Map<String, Double> percentiles(long[] nanos, int count) {
    long[] sorted = Arrays.copyOf(nanos, count);
    Arrays.sort(sorted);
    Map<String, Double> result = new LinkedHashMap<>();
    result.put("p50", rank(sorted, 0.50));
    result.put("p95", rank(sorted, 0.95));
    result.put("p99", rank(sorted, 0.99));
    result.put("max", sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6);
    return result;
  }

  private static double rank(long[] sorted, double quantile) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.ceil(quantile * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
  }
}
