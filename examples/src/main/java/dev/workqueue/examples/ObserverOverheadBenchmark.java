package dev.workqueue.examples;

import dev.workqueue.Consumer;
import dev.workqueue.EnqueueResult;
import dev.workqueue.Job;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.event.JobEnqueuedEvent;
import dev.workqueue.event.JobStartedEvent;
import dev.workqueue.event.JobSucceededEvent;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.metrics.micrometer.CachedWallClock;
import dev.workqueue.metrics.micrometer.MicrometerQueueObserver;
import dev.workqueue.metrics.otel.OpenTelemetryJobInterceptor;
import dev.workqueue.spi.JobInterceptor;
import dev.workqueue.spi.QueueObserver;
import io.micrometer.core.instrument.Clock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * Measures what the observers cost. Each run has one producer thread enqueue no-op jobs into the
 * in-memory backend with {@code enqueueAll} (batches of 1,000) while the consumer processes them,
 * the producer holding back whenever more than {@value #BACKLOG} jobs wait, and records jobs per
 * second from the first enqueue to the last handler call and the CPU time the whole process spent
 * per job. The bounded backlog keeps the heap small: filling the queue with every job first made
 * each run's figure depend mostly on how many collections of a large live heap fell into it.
 *
 * <p>Variants, chosen by their keys: {@code none}, no observers (always run); {@code system} and
 * {@code cached}, the Micrometer observer with its Prometheus registry on the system clock or on a
 * {@link CachedWallClock} as the runner sets it up; {@code api}, that observer plus tracing on the
 * bare OpenTelemetry API (what a host without an SDK pays); {@code sdk}, the observer plus tracing
 * into an SDK that samples every span, which is the price of tracing itself rather than of this
 * library.
 *
 * <p>Variants run in rotating order within each round; the first round is a warm-up. On a shared
 * machine wall-clock throughput swings from run to run by more than the observers cost, so each
 * variant is compared with the baseline run of the same round, and the median and quartiles of
 * those changes are printed, with CPU per job and the observers' own work per job, timed alone.
 *
 * <p>Run: {@code ./mvnw -q -pl examples exec:java -Dexec.mainClass=dev.workqueue.examples.ObserverOverheadBenchmark
 * [-Dexec.args="JOBS CONCURRENCY ROUNDS VARIANTS"]} (defaults 2000000 8 16 none,system,cached,api).
 */
public final class ObserverOverheadBenchmark {
  private static final String QUEUE = "bench";
  private static final int BACKLOG = 20_000;

  private ObserverOverheadBenchmark() {}

  private enum Variant {
    NONE("none", "no observers"),
    METRICS_SYSTEM_CLOCK("system", "Micrometer, registry on system clock"),
    METRICS("cached", "Micrometer, registry on CachedWallClock"),
    METRICS_AND_API_TRACING("api", "Micrometer + tracing on the API, no SDK"),
    METRICS_AND_SDK_TRACING("sdk", "Micrometer + tracing, SDK samples all");

    final String key;
    final String label;

    Variant(String key, String label) {
      this.key = key;
      this.label = label;
    }

    static Variant byKey(String key) {
      return Arrays.stream(values()).filter(variant -> variant.key.equals(key)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("unknown variant \"" + key
              + "\"; known: none, system, cached, api, sdk"));
    }

    boolean metrics() {
      return this != NONE;
    }

    boolean tracing() {
      return this == METRICS_AND_API_TRACING || this == METRICS_AND_SDK_TRACING;
    }
  }

  /** One run: jobs per second, and the process's CPU time per job. */
  private record Result(double jobsPerSecond, double cpuNanosPerJob) {}

  /** Runs the benchmark; arguments: jobs, concurrency, rounds and variant keys, each optional. */
  public static void main(String[] args) throws Exception {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    String variantKeys = args.length > 3 ? args[3] : "none,system,cached,api";
    // The baseline runs in every round: each variant is compared with it round by round.
    Variant[] variants = Stream.concat(Stream.of(Variant.NONE),
            Arrays.stream(variantKeys.split(",")).map(String::strip).map(Variant::byKey))
        .distinct()
        .toArray(Variant[]::new);
    System.out.printf("observer overhead: %,d no-op jobs, concurrency %d, %d rounds (first is warm-up), %d cores%n",
        jobs, concurrency, rounds, Runtime.getRuntime().availableProcessors());
    Map<Variant, List<Result>> results = new EnumMap<>(Variant.class);
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < variants.length; i++) {
        Variant variant = variants[(round + i) % variants.length];
        // Collect the previous run's garbage now rather than during this one.
        System.gc();
        Result result = run(variant, jobs, concurrency);
        System.out.printf("round %2d %-40s %,10.0f jobs/s  cpu %,6.0f ns/job%n",
            round, variant.label, result.jobsPerSecond(), result.cpuNanosPerJob());
        if (round > 0) {
          results.computeIfAbsent(variant, v -> new ArrayList<>()).add(result);
        }
      }
    }
    summarize(variants, results);
    reportObserverWorkPerJob(median(sorted(results.get(Variant.NONE), Result::cpuNanosPerJob)));
  }

  /**
   * Prints each variant's median figures, and its throughput against the baseline run of the same
   * round: neighbouring runs share the machine's state of the moment, so the change within a
   * round is steadier than the change between medians.
   */
  private static void summarize(Variant[] variants, Map<Variant, List<Result>> results) {
    List<Result> baseline = results.get(Variant.NONE);
    double baselineCpu = median(sorted(baseline, Result::cpuNanosPerJob));
    System.out.println("medians of the measured rounds; throughput change against no observers"
        + " in the same round, median [quartiles]:");
    for (Variant variant : variants) {
      List<Result> rounds = results.get(variant);
      double[] changes = new double[rounds.size()];
      for (int i = 0; i < rounds.size(); i++) {
        changes[i] = change(rounds.get(i).jobsPerSecond(), baseline.get(i).jobsPerSecond());
      }
      Arrays.sort(changes);
      double cpu = median(sorted(rounds, Result::cpuNanosPerJob));
      System.out.printf("  %-40s %,10.0f jobs/s  %+6.1f%% [%+.1f%%, %+.1f%%]  cpu %,6.0f ns/job (%+6.1f%%)%n",
          variant.label, median(sorted(rounds, Result::jobsPerSecond)), median(changes),
          changes[changes.length / 4], changes[(3 * changes.length) / 4], cpu, change(cpu, baselineCpu));
    }
  }

  private static Result run(Variant variant, int jobs, int concurrency) throws InterruptedException {
    // Every variant has the clock's refresher thread running, so they differ only in what they measure.
    CachedWallClock cachedClock = CachedWallClock.start();
    Clock registryClock = variant == Variant.METRICS_SYSTEM_CLOCK ? Clock.SYSTEM : cachedClock;
    PrometheusMeterRegistry registry =
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), registryClock);
    OpenTelemetrySdk sdk = variant == Variant.METRICS_AND_SDK_TRACING ? sampledSdk() : null;
    AtomicLong handled = new AtomicLong();
    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create()) {
      Producer.Builder producerBuilder = Producer.builder(backend).defaultQueue(QUEUE);
      Consumer.Builder consumerBuilder = Consumer.builder(backend, job -> handled.incrementAndGet())
          .queue(QUEUE).concurrency(concurrency);
      MicrometerQueueObserver metrics = null;
      if (variant.metrics()) {
        metrics = MicrometerQueueObserver.builder(registry).build();
        producerBuilder.observer(metrics);
        consumerBuilder.observer(metrics);
      }
      if (variant.tracing()) {
        JobInterceptor tracing = OpenTelemetryJobInterceptor.builder(sdk != null ? sdk : OpenTelemetry.noop())
            .build();
        producerBuilder.interceptor(tracing);
        consumerBuilder.interceptor(tracing);
      }
      try (Producer producer = producerBuilder.build(); Consumer consumer = consumerBuilder.build()) {
        if (metrics != null) {
          metrics.bindConsumer(consumer);
        }
        consumer.start();
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        List<NewJob> batch = new ArrayList<>(Batches.SIZE);
        for (int sent = 0; sent < jobs; ) {
          while (sent - handled.get() > BACKLOG) {
            LockSupport.parkNanos(50_000);
          }
          for (int i = 0; i < Batches.SIZE && sent < jobs; i++, sent++) {
            batch.add(NewJob.of(new byte[] {(byte) sent}));
          }
          producer.enqueueAll(batch);
          batch.clear();
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (handled.get() < jobs) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("jobs did not finish: " + (jobs - handled.get()) + " left");
          }
          LockSupport.parkNanos(50_000);
        }
        long nanos = System.nanoTime() - start;
        long cpuNanos = processCpuNanos() - cpuStart;
        return new Result(jobs * 1e9 / nanos, cpuNanos / (double) jobs);
      }
    } finally {
      if (sdk != null) {
        sdk.close();
      }
      registry.close();
      cachedClock.close();
    }
  }

  /**
   * Times the observers' own work per job on one thread, as the engine calls them: the Micrometer
   * observer's enqueued, started and succeeded events through the guarding composite, on either
   * clock, and the tracing interceptor around one enqueue and one handler call on the bare API;
   * and sets each against the CPU time a job takes without observers.
   */
  private static void reportObserverWorkPerJob(double cpuNanosPerJob) throws Exception {
    Instant now = Instant.now();
    Job job = new Job("job-1", QUEUE, "default", new byte[1], 1, 0, now, now, Map.of(), null);
    System.out.printf("observer work per job, timed alone, against %,.0f ns of CPU per job without observers (median):%n",
        cpuNanosPerJob);
    try (CachedWallClock cachedClock = CachedWallClock.start()) {
      for (Clock clock : List.of(Clock.SYSTEM, cachedClock)) {
        QueueObserver metrics = QueueObserver.composite(List.of(MicrometerQueueObserver.builder(
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock)).build()));
        double nanos = bestNanosPerCall(() -> {
          metrics.onEnqueued(new JobEnqueuedEvent(job, true));
          metrics.onStarted(new JobStartedEvent(job, "bench"));
          metrics.onSucceeded(new JobSucceededEvent(job, "bench", Duration.ofNanos(1_000)));
        });
        System.out.printf("  Micrometer observer, registry on %-15s %,6.0f ns (%.1f%%)%n",
            clock == cachedClock ? "CachedWallClock" : "system clock", nanos, nanos * 100 / cpuNanosPerJob);
      }
    }
    JobInterceptor tracing = OpenTelemetryJobInterceptor.builder(OpenTelemetry.noop()).build();
    List<NewJob> toEnqueue = List.of(NewJob.of(new byte[1]));
    List<EnqueueResult> enqueued = List.of(new EnqueueResult(job.id(), true));
    double tracingNanos = bestNanosPerCall(() -> {
      tracing.aroundEnqueue(toEnqueue, jobs -> enqueued);
      tracing.aroundHandle(job, handled -> {});
    });
    System.out.printf("  tracing on the API, no SDK                     %,6.0f ns (%.1f%%)%n",
        tracingNanos, tracingNanos * 100 / cpuNanosPerJob);
  }

  @FunctionalInterface
  private interface Work {
    void run() throws Exception;
  }

  private static double bestNanosPerCall(Work work) throws Exception {
    int calls = 1_000_000;
    double best = Double.MAX_VALUE;
    for (int round = 0; round < 10; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        work.run();
      }
      best = Math.min(best, (System.nanoTime() - start) / (double) calls);
    }
    return best;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** An SDK that records every span and hands them to an exporter that drops them. */
  private static OpenTelemetrySdk sampledSdk() {
    SpanExporter discard = new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(BatchSpanProcessor.builder(discard).build())
            .build())
        .build();
  }

  private static double[] sorted(List<Result> results, ToDoubleFunction<Result> figure) {
    return results.stream().mapToDouble(figure).sorted().toArray();
  }

  private static double median(double[] sorted) {
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  private static double change(double value, double baseline) {
    return (value - baseline) * 100 / baseline;
  }
}
