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
import dev.workqueue.metrics.micrometer.MicrometerQueueObserver;
import dev.workqueue.metrics.otel.OpenTelemetryJobInterceptor;
import dev.workqueue.spi.JobInterceptor;
import dev.workqueue.spi.QueueObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Measures what the observers cost: processes no-op jobs on the in-memory backend (enqueued with
 * {@code enqueueAll}, then consumed) without observers, with the Micrometer observer, and with the
 * observer plus tracing on the bare OpenTelemetry API (what a host without an SDK, or with tracing
 * switched off in its SDK, pays). With the argument {@code sdk} it also measures tracing into an
 * SDK that samples every span, which is the price of tracing itself rather than of this library.
 * Variants run in rotating order within each round; the first round is a warm-up; the median and
 * the best of the other rounds are reported, the best being the run least disturbed by other
 * processes on a shared machine.
 *
 * <p>Run: {@code ./mvnw -q -pl examples exec:java -Dexec.mainClass=dev.workqueue.examples.ObserverOverheadBenchmark
 * [-Dexec.args="JOBS CONCURRENCY ROUNDS [sdk]"]} (defaults 200000 8 8).
 */
public final class ObserverOverheadBenchmark {
  private static final String QUEUE = "bench";
  private static final int BATCH = 1_000;

  private ObserverOverheadBenchmark() {}

  private enum Variant {
    NONE("no observers"),
    METRICS("Micrometer observer"),
    METRICS_AND_API_TRACING("Micrometer + tracing on the API, no SDK"),
    METRICS_AND_SDK_TRACING("Micrometer + tracing, SDK samples all");

    final String label;

    Variant(String label) {
      this.label = label;
    }
  }

  /** Jobs per second while enqueueing, while processing, and over both (first enqueue to last job). */
  private record Result(double enqueuePerSecond, double processPerSecond, double overallPerSecond) {}

  public static void main(String[] args) throws Exception {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    boolean withSdk = args.length > 3 && args[3].equals("sdk");
    System.out.printf("observer overhead: %,d no-op jobs, concurrency %d, %d rounds (first is warm-up)%n",
        jobs, concurrency, rounds);
    Variant[] variants = Arrays.stream(Variant.values())
        .filter(variant -> withSdk || variant != Variant.METRICS_AND_SDK_TRACING)
        .toArray(Variant[]::new);
    Map<Variant, List<Result>> results = new EnumMap<>(Variant.class);
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < variants.length; i++) {
        Variant variant = variants[(round + i) % variants.length];
        // Collect the previous run's garbage now rather than during this one.
        System.gc();
        Result result = run(variant, jobs, concurrency);
        System.out.printf("round %d %-42s enqueue %,10.0f  process %,9.0f  overall %,9.0f jobs/s%n", round,
            variant.label, result.enqueuePerSecond(), result.processPerSecond(), result.overallPerSecond());
        if (round > 0) {
          results.computeIfAbsent(variant, v -> new ArrayList<>()).add(result);
        }
      }
    }
    summarize("median", variants, results, ObserverOverheadBenchmark::median);
    summarize("best", variants, results, ObserverOverheadBenchmark::best);
    reportObserverCostPerJob(reduce(results.get(Variant.NONE), ObserverOverheadBenchmark::best));
  }

  /**
   * Whole-run figures on a busy machine vary more than the observers cost, so this also times the
   * observers' own work per job on one thread, as the engine calls them: the Micrometer observer's
   * enqueued, started and succeeded events through the guarding composite, and the tracing
   * interceptor around one enqueue and one handler call on the bare API. It sets each against the
   * CPU time a job takes in the fastest run without observers.
   */
  private static void reportObserverCostPerJob(Result baseline) throws Exception {
    QueueObserver metrics = QueueObserver.composite(List.of(
        MicrometerQueueObserver.builder(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).build()));
    JobInterceptor tracing = OpenTelemetryJobInterceptor.builder(OpenTelemetry.noop()).defaultQueue(QUEUE).build();
    Instant now = Instant.now();
    Job job = new Job("job-1", QUEUE, "default", new byte[1], 1, 0, now, now, Map.of(), null);
    List<NewJob> toEnqueue = List.of(NewJob.of(new byte[1]));
    List<EnqueueResult> enqueued = List.of(new EnqueueResult(job.id(), true));
    double metricsNanos = bestNanosPerCall(() -> {
      metrics.onEnqueued(new JobEnqueuedEvent(job, true));
      metrics.onStarted(new JobStartedEvent(job, "bench"));
      metrics.onSucceeded(new JobSucceededEvent(job, "bench", Duration.ofNanos(1_000)));
    });
    double tracingNanos = bestNanosPerCall(() -> {
      tracing.aroundEnqueue(toEnqueue, jobs -> enqueued);
      tracing.aroundHandle(job, handled -> {});
    });
    int cores = Runtime.getRuntime().availableProcessors();
    double cpuNanosPerJob = cores * 1e9 / baseline.overallPerSecond();
    System.out.printf("a job takes %.0f ns of CPU in the best run without observers (%d cores); per job,%n",
        cpuNanosPerJob, cores);
    System.out.printf("  the Micrometer observer adds %.0f ns (%.1f%%)%n", metricsNanos,
        metricsNanos * 100 / cpuNanosPerJob);
    System.out.printf("  tracing on the API without an SDK adds %.0f ns (%.1f%%)%n", tracingNanos,
        tracingNanos * 100 / cpuNanosPerJob);
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

  private static void summarize(String statistic, Variant[] variants, Map<Variant, List<Result>> results,
      ToDoubleFunction<double[]> reduce) {
    System.out.println(statistic + " of the measured rounds (change against no observers):");
    Result baseline = reduce(results.get(Variant.NONE), reduce);
    for (Variant variant : variants) {
      Result result = reduce(results.get(variant), reduce);
      System.out.printf("  %-42s enqueue %,10.0f (%+6.1f%%)  process %,9.0f (%+6.1f%%)  overall %,9.0f (%+6.1f%%) jobs/s%n",
          variant.label,
          result.enqueuePerSecond(), change(result.enqueuePerSecond(), baseline.enqueuePerSecond()),
          result.processPerSecond(), change(result.processPerSecond(), baseline.processPerSecond()),
          result.overallPerSecond(), change(result.overallPerSecond(), baseline.overallPerSecond()));
    }
  }

  private static Result run(Variant variant, int jobs, int concurrency) throws InterruptedException {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    OpenTelemetrySdk sdk = variant == Variant.METRICS_AND_SDK_TRACING ? sampledSdk() : null;
    CountDownLatch done = new CountDownLatch(jobs);
    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create()) {
      Producer.Builder producerBuilder = Producer.builder(backend).defaultQueue(QUEUE);
      Consumer.Builder consumerBuilder = Consumer.builder(backend, job -> done.countDown())
          .queue(QUEUE).concurrency(concurrency);
      MicrometerQueueObserver metrics = null;
      if (variant != Variant.NONE) {
        metrics = MicrometerQueueObserver.builder(registry).build();
        producerBuilder.observer(metrics);
        consumerBuilder.observer(metrics);
      }
      if (variant == Variant.METRICS_AND_API_TRACING || variant == Variant.METRICS_AND_SDK_TRACING) {
        JobInterceptor tracing = OpenTelemetryJobInterceptor.builder(sdk != null ? sdk : OpenTelemetry.noop())
            .defaultQueue(QUEUE).build();
        producerBuilder.interceptor(tracing);
        consumerBuilder.interceptor(tracing);
      }
      try (Producer producer = producerBuilder.build(); Consumer consumer = consumerBuilder.build()) {
        if (metrics != null) {
          metrics.bindConsumer(consumer);
        }
        long enqueueStart = System.nanoTime();
        enqueue(producer, jobs);
        long enqueueNanos = System.nanoTime() - enqueueStart;

        long processStart = System.nanoTime();
        consumer.start();
        if (!done.await(10, TimeUnit.MINUTES)) {
          throw new IllegalStateException("jobs did not finish: " + done.getCount() + " left");
        }
        long processNanos = System.nanoTime() - processStart;
        return new Result(jobs * 1e9 / enqueueNanos, jobs * 1e9 / processNanos,
            jobs * 1e9 / (enqueueNanos + processNanos));
      }
    } finally {
      if (sdk != null) {
        sdk.close();
      }
      registry.close();
    }
  }

  private static void enqueue(Producer producer, int jobs) {
    List<NewJob> batch = new ArrayList<>(BATCH);
    for (int i = 0; i < jobs; i++) {
      batch.add(NewJob.of(new byte[] {(byte) i}));
      if (batch.size() == BATCH || i == jobs - 1) {
        producer.enqueueAll(batch);
        batch.clear();
      }
    }
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

  private static Result reduce(List<Result> results, ToDoubleFunction<double[]> reduce) {
    double[] enqueue = results.stream().mapToDouble(Result::enqueuePerSecond).sorted().toArray();
    double[] process = results.stream().mapToDouble(Result::processPerSecond).sorted().toArray();
    double[] overall = results.stream().mapToDouble(Result::overallPerSecond).sorted().toArray();
    return new Result(reduce.applyAsDouble(enqueue), reduce.applyAsDouble(process), reduce.applyAsDouble(overall));
  }

  private static double best(double[] sorted) {
    return sorted[sorted.length - 1];
  }

  private static double median(double[] sorted) {
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  private static double change(double value, double baseline) {
    return (value - baseline) * 100 / baseline;
  }
}
