package dev.workqueue.examples;

import dev.workqueue.Consumer;
import dev.workqueue.EnqueueResult;
import dev.workqueue.Job;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.event.JobEnqueuedEvent;
import dev.workqueue.event.JobSucceededEvent;
import dev.workqueue.event.JobsFetchedEvent;
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
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Measures what the observers cost, in one of two modes. {@code together} (the default): one
 * producer thread enqueues no-op jobs into the in-memory backend with {@code enqueueAll} (batches
 * of 1,000) while the consumer processes them, the producer holding back whenever more than
 * {@value #BACKLOG} jobs wait; jobs per second run from the first enqueue to the last handler
 * call. {@code filled}: as {@link InMemoryBenchmark} does, every job is enqueued first and only
 * the processing is measured. Both record the CPU time the whole process spent per measured job.
 * The bounded backlog keeps the heap small: with millions of jobs waiting, each run's figure
 * depends mostly on how many collections of a large live heap fall into it, so keep {@code filled}
 * runs to a few hundred thousand jobs and give them a young generation that holds a run
 * ({@code MAVEN_OPTS="-Xms6g -Xmx6g -Xmn3g"}; the forked JVMs inherit the {@code -X} options).
 *
 * <p>Variants, chosen by their keys: {@code none}, no observers (always run); {@code system} and
 * {@code cached}, the Micrometer observer with its Prometheus registry on the system clock or on a
 * {@link CachedWallClock} as the runner sets it up; {@code api}, that observer plus tracing on the
 * bare OpenTelemetry API (what a host without an SDK pays); {@code sdk}, the observer plus tracing
 * into an SDK that samples every span, which is the price of tracing itself rather than of this
 * library.
 *
 * <p>Each variant runs in a JVM of its own: warm-up runs until {@value #WARM_UP_JOBS} jobs have
 * gone through, then {@value #MEASURED_RUNS} measured runs whose median is the fork's figure. With
 * less warm-up the JIT is still compiling the observer's paths in the measured runs, and its
 * compiler threads' CPU and the code not yet optimised would be counted as the observer's cost.
 * Measured side by side in one JVM, the variants would share the JIT's profile, and tracing
 * interceptors or a second clock class make the engine's hot calls polymorphic for every
 * variant. Each round forks one JVM per variant, in
 * rotating order. On a shared machine wall-clock throughput swings from run to run by more than
 * the observers cost, so each variant is compared with the baseline fork of the same round, and
 * the median and quartiles of those changes are printed, with CPU per job (for the whole process,
 * and for the consumer's settler and worker threads) and the observers' own work per job, timed
 * alone.
 *
 * <p>Run:
 * {@code ./mvnw -q -pl examples exec:java -Dexec.mainClass=dev.workqueue.examples.ObserverOverheadBenchmark
 * [-Dexec.args="JOBS CONCURRENCY ROUNDS VARIANTS MODE"]} (defaults 2000000 8 10
 * none,system,cached,api together).
 */
public final class ObserverOverheadBenchmark {
  private static final String QUEUE = "bench";
  private static final int BACKLOG = 20_000;
  /** Jobs each forked JVM runs before measuring, so that the JIT has finished compiling. */
  private static final int WARM_UP_JOBS = 4_000_000;
  /** Measured runs in each forked JVM. */
  private static final int MEASURED_RUNS = 3;
  private static final String FORK_FLAG = "--fork";
  private static final String FORK_RESULT = "fork-result";
  /** How the engine names a consumer's worker threads: {@code workqueue-<consumer>-worker-<n>}. */
  private static final Pattern WORKER_THREAD = Pattern.compile("-worker-\\d+$");

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

  /**
   * One run: jobs per second, the process's CPU time per job, and the part of it spent on the
   * consumer's settler thread (the one thread every outcome passes through) and on its workers.
   */
  private record Result(double jobsPerSecond, double cpuNanosPerJob, double settlerNanosPerJob,
      double workerNanosPerJob) {

    static Result parse(String figures) {
      double[] values = Arrays.stream(figures.strip().split(" ")).mapToDouble(Double::parseDouble).toArray();
      return new Result(values[0], values[1], values[2], values[3]);
    }

    String format() {
      return jobsPerSecond + " " + cpuNanosPerJob + " " + settlerNanosPerJob + " " + workerNanosPerJob;
    }
  }

  /**
   * Runs the benchmark; arguments: jobs, concurrency, rounds, variant keys and mode, each optional.
   * A trailing {@value #FORK_FLAG} argument marks a forked JVM measuring the one variant given.
   */
  public static void main(String[] args) throws Exception {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    String variantKeys = args.length > 3 ? args[3] : "none,system,cached,api";
    String mode = args.length > 4 ? args[4] : "together";
    if (!mode.equals("together") && !mode.equals("filled")) {
      throw new IllegalArgumentException("unknown mode \"" + mode + "\"; known: together, filled");
    }
    boolean filled = mode.equals("filled");
    if (args.length > 5 && args[5].equals(FORK_FLAG)) {
      measureInThisJvm(Variant.byKey(variantKeys), jobs, concurrency, filled);
      return;
    }
    // The baseline runs in every fork round: each variant is compared with it round by round.
    Variant[] variants = Stream.concat(Stream.of(Variant.NONE),
            Arrays.stream(variantKeys.split(",")).map(String::strip).map(Variant::byKey))
        .distinct()
        .toArray(Variant[]::new);
    System.out.printf("observer overhead: %,d no-op jobs, concurrency %d, %d rounds of one JVM per variant"
            + " (%,d jobs of warm-up, then %d measured runs), %d cores, %s%n",
        jobs, concurrency, rounds, WARM_UP_JOBS, MEASURED_RUNS, Runtime.getRuntime().availableProcessors(),
        filled ? "processing a filled queue" : "producer and consumer together");
    Map<Variant, List<Result>> results = new EnumMap<>(Variant.class);
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < variants.length; i++) {
        Variant variant = variants[(round + i) % variants.length];
        Result result = fork(variant, jobs, concurrency, mode);
        System.out.printf(
            "round %2d %-40s %,10.0f jobs/s  cpu %,6.0f ns/job (settler %,4.0f, workers %,4.0f)%n", round,
            variant.label, result.jobsPerSecond(), result.cpuNanosPerJob(), result.settlerNanosPerJob(),
            result.workerNanosPerJob());
        results.computeIfAbsent(variant, v -> new ArrayList<>()).add(result);
      }
    }
    summarize(variants, results);
    reportObserverWorkPerJob(median(sorted(results.get(Variant.NONE), Result::cpuNanosPerJob)));
  }

  /**
   * Measures {@code variant} in a JVM of its own, started with this JVM's {@code -X} options: the
   * JIT compiles the engine for that one set-up, as it would in a host, instead of for a mix of
   * the variants measured side by side. Returns the median of the fork's measured runs.
   */
  private static Result fork(Variant variant, int jobs, int concurrency, String mode)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(option -> option.startsWith("-X"))
        .forEach(command::add);
    // The consumers' start and stop lines would bury the figures.
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.addAll(List.of("-cp", classPath(), ObserverOverheadBenchmark.class.getName(),
        Integer.toString(jobs), Integer.toString(concurrency), "1", variant.key, mode, FORK_FLAG));
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<Result> runs = new ArrayList<>();
    try (BufferedReader output = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = output.readLine()) != null) {
        if (line.startsWith(FORK_RESULT)) {
          runs.add(Result.parse(line.substring(FORK_RESULT.length())));
        }
      }
    }
    int exit = process.waitFor();
    if (exit != 0 || runs.size() != MEASURED_RUNS) {
      throw new IllegalStateException("the forked JVM for " + variant.key + " exited with " + exit
          + " after " + runs.size() + " of " + MEASURED_RUNS + " measured runs");
    }
    return new Result(median(sorted(runs, Result::jobsPerSecond)),
        median(sorted(runs, Result::cpuNanosPerJob)), median(sorted(runs, Result::settlerNanosPerJob)),
        median(sorted(runs, Result::workerNanosPerJob)));
  }

  /** The class path this class was loaded from, also when {@code exec:java} loaded it. */
  private static String classPath() {
    if (ObserverOverheadBenchmark.class.getClassLoader() instanceof URLClassLoader loader) {
      return Arrays.stream(loader.getURLs()).map(ObserverOverheadBenchmark::toPath)
          .collect(Collectors.joining(File.pathSeparator));
    }
    return System.getProperty("java.class.path");
  }

  private static String toPath(URL url) {
    try {
      return Path.of(url.toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("class path entry is not a file: " + url, e);
    }
  }

  /** The forked side: warms {@code variant} up, then prints each of its measured runs. */
  private static void measureInThisJvm(Variant variant, int jobs, int concurrency, boolean filled)
      throws InterruptedException {
    int warmUpRuns = (WARM_UP_JOBS + jobs - 1) / jobs;
    for (int run = 0; run < warmUpRuns + MEASURED_RUNS; run++) {
      // Collect the previous run's garbage now rather than during this one.
      System.gc();
      Result result = run(variant, jobs, concurrency, filled);
      if (run >= warmUpRuns) {
        System.out.println(FORK_RESULT + " " + result.format());
      }
    }
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
    // Shows where an observer's cost lands: on the settler, the serial stage, it costs throughput
    // that on the workers it may not, and the throughput figures alone cannot tell the two apart.
    double baselineSettler = median(sorted(baseline, Result::settlerNanosPerJob));
    double baselineWorkers = median(sorted(baseline, Result::workerNanosPerJob));
    System.out.println("CPU per job by thread, median, and its difference from no observers:");
    for (Variant variant : variants) {
      List<Result> rounds = results.get(variant);
      double settler = median(sorted(rounds, Result::settlerNanosPerJob));
      double workers = median(sorted(rounds, Result::workerNanosPerJob));
      System.out.printf("  %-40s settler %,5.0f ns (%+4.0f)  workers %,5.0f ns (%+4.0f)%n", variant.label,
          settler, settler - baselineSettler, workers, workers - baselineWorkers);
    }
  }

  private static Result run(Variant variant, int jobs, int concurrency, boolean filled)
      throws InterruptedException {
    // Every variant has the clock's refresher thread running, so they differ only in what they measure.
    CachedWallClock cachedClock = CachedWallClock.start();
    Clock registryClock = variant == Variant.METRICS_SYSTEM_CLOCK ? Clock.SYSTEM : cachedClock;
    PrometheusMeterRegistry registry =
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), registryClock);
    OpenTelemetrySdk sdk = variant == Variant.METRICS_AND_SDK_TRACING ? sampledSdk() : null;
    AtomicLong handled = new AtomicLong();
    // Waiting on a latch, not polling the count: a poll every 50 µs took 60-120 ns of CPU per job
    // from the two cores the consumer runs on.
    CountDownLatch done = new CountDownLatch(1);
    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create()) {
      Producer.Builder producerBuilder = Producer.builder(backend).defaultQueue(QUEUE);
      Consumer.Builder consumerBuilder = Consumer.builder(backend, job -> {
            if (handled.incrementAndGet() == jobs) {
              done.countDown();
            }
          })
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
        if (filled) {
          Batches.enqueue(producer, jobs, i -> NewJob.of(new byte[] {(byte) i}));
          System.gc();
        } else {
          consumer.start();
        }
        long cpuStart = processCpuNanos();
        Map<Long, Long> threadCpuStart = threadCpuNanos();
        long start = System.nanoTime();
        if (filled) {
          consumer.start();
        } else {
          enqueueAlongside(producer, jobs, handled);
        }
        if (!done.await(10, TimeUnit.MINUTES)) {
          throw new IllegalStateException("jobs did not finish: " + (jobs - handled.get()) + " left");
        }
        long nanos = System.nanoTime() - start;
        long cpuNanos = processCpuNanos() - cpuStart;
        ThreadCpu threads = ThreadCpu.since(threadCpuStart);
        return new Result(jobs * 1e9 / nanos, cpuNanos / (double) jobs,
            threads.settlerNanos() / (double) jobs, threads.workerNanos() / (double) jobs);
      }
    } finally {
      if (sdk != null) {
        sdk.close();
      }
      registry.close();
      cachedClock.close();
    }
  }

  /** Enqueues {@code jobs} jobs in batches, holding back while more than {@value #BACKLOG} wait. */
  private static void enqueueAlongside(Producer producer, int jobs, AtomicLong handled) {
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
  }

  /**
   * Times the observers' own work per job on one thread, as the engine calls them: the Micrometer
   * observer through the guarding composite, on either clock, given an enqueued batch of
   * {@value Batches#SIZE} jobs, and per {@value Consumer#DEFAULT_FETCH_BATCH_SIZE} jobs (the
   * default fetch batch) a fetched event and a batch of succeeded events, which the engine builds
   * per job (it builds no started event for an observer that does not handle it; under load the
   * settler's batches are larger than this); and the tracing
   * interceptor around one enqueue and one handler call on the bare API. Each is set against the
   * CPU time a job takes without observers.
   */
  private static void reportObserverWorkPerJob(double cpuNanosPerJob) throws Exception {
    Instant now = Instant.now();
    Job job = new Job("job-1", QUEUE, "default", new byte[1], 1, 0, now, now, Map.of(), null);
    List<JobEnqueuedEvent> enqueuedBatch = Collections.nCopies(Batches.SIZE, new JobEnqueuedEvent(job, true));
    JobsFetchedEvent fetched =
        new JobsFetchedEvent("bench", QUEUE, Collections.nCopies(Consumer.DEFAULT_FETCH_BATCH_SIZE, job));
    System.out.printf("observer work per job, timed alone, against %,.0f ns of CPU per job"
        + " without observers (median):%n",
        cpuNanosPerJob);
    try (CachedWallClock cachedClock = CachedWallClock.start()) {
      for (Clock clock : List.of(Clock.SYSTEM, cachedClock)) {
        QueueObserver metrics = QueueObserver.composite(List.of(MicrometerQueueObserver.builder(
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock)).build()));
        double nanos = bestNanosPerCall(1_000, () -> {
          metrics.onEnqueuedBatch(enqueuedBatch);
          for (int i = 0; i < Batches.SIZE; i += Consumer.DEFAULT_FETCH_BATCH_SIZE) {
            metrics.onFetched(fetched);
            List<JobSucceededEvent> succeeded = new ArrayList<>(Consumer.DEFAULT_FETCH_BATCH_SIZE);
            for (int j = 0; j < Consumer.DEFAULT_FETCH_BATCH_SIZE; j++) {
              succeeded.add(new JobSucceededEvent(job, "bench", QUEUE, Duration.ofNanos(1_000 + j)));
            }
            metrics.onSucceededBatch(Collections.unmodifiableList(succeeded));
          }
        }) / Batches.SIZE;
        System.out.printf("  Micrometer observer, registry on %-15s %,6.0f ns (%.1f%%)%n",
            clock == cachedClock ? "CachedWallClock" : "system clock", nanos, nanos * 100 / cpuNanosPerJob);
      }
    }
    JobInterceptor tracing = OpenTelemetryJobInterceptor.builder(OpenTelemetry.noop()).build();
    // Producers fill in the queue before interceptors run.
    List<NewJob> toEnqueue = List.of(NewJob.builder(new byte[1]).queue(QUEUE).build());
    List<EnqueueResult> enqueued = List.of(new EnqueueResult(job.id(), true));
    double tracingNanos = bestNanosPerCall(1_000_000, () -> {
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

  private static double bestNanosPerCall(int calls, Work work) throws Exception {
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

  /** CPU time of every live thread, by id. */
  private static Map<Long, Long> threadCpuNanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, Long> nanos = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      nanos.put(id, threads.getThreadCpuTime(id));
    }
    return nanos;
  }

  /** CPU time of the consumer's settler and worker threads since a {@link #threadCpuNanos()} reading. */
  private record ThreadCpu(long settlerNanos, long workerNanos) {
    static ThreadCpu since(Map<Long, Long> start) {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long settler = 0;
      long workers = 0;
      for (ThreadInfo thread : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (thread == null) {
          continue; // ended since the ids were read
        }
        long cpu = threads.getThreadCpuTime(thread.getThreadId());
        if (cpu < 0) {
          continue;
        }
        long spent = cpu - start.getOrDefault(thread.getThreadId(), 0L);
        if (thread.getThreadName().endsWith("-settler")) {
          settler += spent;
        } else if (WORKER_THREAD.matcher(thread.getThreadName()).find()) {
          workers += spent;
        }
      }
      return new ThreadCpu(settler, workers);
    }
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
