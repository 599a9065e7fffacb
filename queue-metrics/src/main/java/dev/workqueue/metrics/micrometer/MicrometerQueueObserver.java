package dev.workqueue.metrics.micrometer;

import dev.workqueue.Consumer;
import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.Job;
import dev.workqueue.event.JobDeadLetteredEvent;
import dev.workqueue.event.JobEnqueuedEvent;
import dev.workqueue.event.JobFailedEvent;
import dev.workqueue.event.JobRecoveredEvent;
import dev.workqueue.event.JobRetriedEvent;
import dev.workqueue.event.JobSucceededEvent;
import dev.workqueue.event.JobsEnqueueFailedEvent;
import dev.workqueue.event.JobsFetchedEvent;
import dev.workqueue.internal.Names;
import dev.workqueue.internal.Problems;
import dev.workqueue.metrics.internal.ConsumerGauges;
import dev.workqueue.metrics.internal.QueueLengthGauges;
import dev.workqueue.metrics.internal.QueueMeters;
import dev.workqueue.metrics.internal.QueueTagFolder;
import dev.workqueue.metrics.internal.ScheduledQueueLengthUpdater;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.QueueObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Publishes job events and consumer state as Micrometer meters. In a Prometheus scrape they
 * appear as:
 *
 * <ul>
 *   <li>counters {@code jobs_produced_total}, {@code jobs_consumed_total} (deliveries: jobs
 *       fetched by consumers, a job counting again when fetched again), {@code
 *       jobs_completed_total}, {@code jobs_failed_total}, {@code jobs_retried_total}, {@code
 *       jobs_dead_letter_total}, {@code jobs_recovered_total}, tagged {@code queue}, and {@code
 *       jobs_enqueue_failed_total} (jobs of enqueue calls the backend failed), tagged {@code queue}
 *       and {@code reason} ({@code unavailable} or {@code refused});
 *   <li>the histogram {@code job_processing_duration_seconds}, tagged {@code queue} and {@code
 *       outcome} ({@code success} or {@code failure}), with the buckets of {@link
 *       Builder#durationBuckets(List)};
 *   <li>gauges {@code worker_active} and {@code circuit_breaker_state} (0 closed, 1 half-open, 2
 *       open), tagged {@code consumer} and {@code queue}, read from the consumers given to {@link
 *       #bindConsumer(Consumer)};
 *   <li>the gauge {@code queue_length}, tagged {@code queue}, kept up to date by {@link
 *       #startQueueLengthUpdater(QueueBackend)}.
 * </ul>
 *
 * <p>Queue names become tag values only through a bounded mapping: names on the allow-list and
 * the first {@link Builder#queueTagLimit(int)} other names seen are kept; every other name is
 * folded into {@code other}, or into {@code other-0} … {@code other-<n-1>} by a stable hash of the
 * name. A kept queue never shares a tag value with folded ones: an allow-list naming one of these
 * fold values is refused, and a queue named like one is never kept as first seen but folded (into
 * the bucket its hash picks). Meters are registered once per tag value and cached, so an event
 * costs a comparison with the first queue's name (or a hash lookup for other queues) and a meter
 * update.
 *
 * <p>Most of the observer's cost per job is the registry's: a timer with a histogram reads the
 * registry's wall clock twice per recorded value. Build the registry on a {@link CachedWallClock}
 * to have those reads come from memory (timed alone, 70-90 ns of work per job becomes 30-50 ns).
 * Register one instance with both the producer and the consumer:
 *
 * <pre>{@code
 * CachedWallClock clock = CachedWallClock.start(); // close() after the registry
 * PrometheusMeterRegistry registry =
 *     new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock);
 * MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
 *     .queueTagAllowList(Set.of("emails", "reports"))
 *     .build();
 * Producer producer = Producer.builder(backend).observer(metrics).build();
 * Consumer consumer = Consumer.builder(backend, handler).queue("emails").observer(metrics).build();
 * metrics.bindConsumer(consumer);
 * QueueLengthUpdater lengths = metrics.startQueueLengthUpdater(backend); // close() on shutdown
 * }</pre>
 */
public final class MicrometerQueueObserver implements QueueObserver {

  /** Default {@link Builder#queueTagLimit(int)} without an allow-list: {@value}. */
  public static final int DEFAULT_QUEUE_TAG_LIMIT = 100;
  /** Default {@link Builder#foldedQueueBuckets(int)}: {@value}, a single {@code other} value. */
  public static final int DEFAULT_FOLDED_QUEUE_BUCKETS = 1;
  /** Default {@link Builder#queueLengthInterval(Duration)}: 2 seconds. */
  public static final Duration DEFAULT_QUEUE_LENGTH_INTERVAL = Duration.ofSeconds(2);
  /**
   * Default {@link Builder#durationBuckets(List)}: 5, 10, 25, 50, 100, 250 and 500 ms, 1, 2.5,
   * 5, 10 and 30 s, 1 and 5 min; latency SLOs usually sit on one of these.
   */
  public static final List<Duration> DEFAULT_DURATION_BUCKETS = List.of(
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2_500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
      Duration.ofMinutes(1), Duration.ofMinutes(5));
  /** Most {@link Builder#foldedQueueBuckets(int)}: {@value}; each bucket is a tag value of every meter. */
  public static final int MAX_FOLDED_QUEUE_BUCKETS = 1_000;

  /**
   * The {@code queue} tag values that {@code foldedQueueBuckets} buckets of folded queues take
   * ({@code other}, or {@code other-0} and on): no allow-list may name them.
   */
  public static List<String> foldedQueueTagValues(int foldedQueueBuckets) {
    return QueueTagFolder.foldedTagValues(foldedQueueBuckets);
  }

  private final MeterRegistry registry;
  private final QueueTagFolder folder;
  private final List<Duration> durationBuckets;
  private final Duration queueLengthInterval;
  private final ConcurrentHashMap<String, QueueMeters> metersByTag = new ConcurrentHashMap<>();
  // Queues published under their own name: one lookup per event instead of folding, then looking up.
  private final ConcurrentHashMap<String, QueueMeters> metersByUnfoldedQueue = new ConcurrentHashMap<>();
  private final ConsumerGauges consumerGauges;
  private final QueueLengthGauges queueLengths;
  private volatile NamedMeters firstQueue;

  private MicrometerQueueObserver(Builder builder) {
    this.registry = builder.registry;
    int limit = builder.queueTagLimitOrDefault();
    this.folder = builder.allowList != null
        ? QueueTagFolder.allowList(builder.allowList, limit, builder.foldedQueueBuckets)
        : QueueTagFolder.firstSeen(limit, builder.foldedQueueBuckets);
    this.durationBuckets = builder.durationBuckets;
    this.queueLengthInterval = builder.queueLengthInterval;
    this.consumerGauges = new ConsumerGauges(registry, folder);
    this.queueLengths = new QueueLengthGauges(registry);
  }

  /** Starts an observer publishing to {@code registry}. */
  public static Builder builder(MeterRegistry registry) {
    return new Builder(registry);
  }

  @Override
  public void onEnqueued(JobEnqueuedEvent event) {
    if (event.created()) {
      meters(event.job().queue()).produced().increment();
    }
  }

  /** Counts the batch's new jobs with one counter update per run of jobs for the same queue. */
  @Override
  public void onEnqueuedBatch(List<JobEnqueuedEvent> events) {
    String runQueue = null;
    int runLength = 0;
    // By index: the engine builds each event as it is read, and a get the JIT can inline from here
    // lets it leave the event unallocated; the shared iterator of AbstractList would not.
    for (int i = 0; i < events.size(); i++) {
      JobEnqueuedEvent event = events.get(i);
      if (!event.created()) {
        continue;
      }
      String queue = event.job().queue();
      if (!queue.equals(runQueue)) {
        countProduced(runQueue, runLength);
        runQueue = queue;
        runLength = 0;
      }
      runLength++;
    }
    countProduced(runQueue, runLength);
  }

  private void countProduced(String queue, int jobs) {
    if (jobs > 0) {
      meters(queue).produced().increment(jobs);
    }
  }

  /** Counts the call's jobs per queue, by whether the backend was unavailable or refused it. */
  @Override
  public void onEnqueueFailed(JobsEnqueueFailedEvent event) {
    Map<String, Long> jobsByQueue =
        event.jobs().stream().collect(Collectors.groupingBy(Job::queue, Collectors.counting()));
    jobsByQueue.forEach((queue, jobs) -> meters(queue).enqueueFailed(event.unavailable()).increment(jobs));
  }

  @Override
  public void onFetched(JobsFetchedEvent event) {
    meters(event.queue()).consumed().increment(event.jobs().size());
  }

  @Override
  public void onSucceeded(JobSucceededEvent event) {
    meters(event.queue()).recordSuccess(event.duration());
  }

  /**
   * Records each handler time, and counts the batch with one counter update per run of jobs for
   * the same queue (a consumer's batches are of its one queue).
   */
  @Override
  public void onSucceededBatch(List<JobSucceededEvent> events) {
    QueueMeters runMeters = null;
    String runQueue = null;
    int runLength = 0;
    for (int i = 0; i < events.size(); i++) { // by index, as in onEnqueuedBatch
      JobSucceededEvent event = events.get(i);
      String queue = event.queue();
      if (!queue.equals(runQueue)) {
        countSucceeded(runMeters, runLength);
        runQueue = queue;
        runMeters = meters(queue);
        runLength = 0;
      }
      runMeters.succeededDuration().record(event.duration());
      runLength++;
    }
    countSucceeded(runMeters, runLength);
  }

  private static void countSucceeded(QueueMeters meters, int jobs) {
    if (jobs > 0) {
      meters.succeeded().increment(jobs);
    }
  }

  @Override
  public void onFailed(JobFailedEvent event) {
    meters(event.job().queue()).recordFailure(event.duration());
  }

  @Override
  public void onRetried(JobRetriedEvent event) {
    meters(event.job().queue()).retried().increment();
  }

  @Override
  public void onDeadLettered(JobDeadLetteredEvent event) {
    meters(event.queue()).deadLettered().increment();
  }

  @Override
  public void onRecovered(JobRecoveredEvent event) {
    meters(event.job().queue()).recovered().increment();
  }

  /**
   * Publishes {@code worker_active} and {@code circuit_breaker_state} of {@code consumer}, read
   * from it at each scrape. Consumers with the same name and queue share one series: active
   * workers are summed, the most severe breaker state is shown. Stopped consumers no longer
   * count. Binding the same consumer twice has no further effect.
   */
  public void bindConsumer(Consumer consumer) {
    consumerGauges.bind(Objects.requireNonNull(consumer, "consumer"));
  }

  /**
   * Starts a background thread that refreshes {@code queue_length{queue}} from {@code backend}
   * every {@link Builder#queueLengthInterval(Duration)}: the jobs waiting in all priority lanes,
   * summed per tag value when names are folded, and over the updaters of several backends.
   * Close the returned updater on shutdown (its readings then leave the sums); it does not close
   * the backend. Use one updater per backend.
   */
  public QueueLengthUpdater startQueueLengthUpdater(QueueBackend backend) {
    return ScheduledQueueLengthUpdater.start(Objects.requireNonNull(backend, "backend"), queueLengths, folder,
        queueLengthInterval);
  }

  private QueueMeters meters(String queue) {
    // Most processes feed and serve one queue: comparing with that name is cheaper than hashing
    // it (names read from Redis are new strings whose hash is not cached yet). Only the first
    // queue takes this path, so the field is written once and never bounces between threads.
    NamedMeters first = firstQueue;
    if (first != null && first.queue().equals(queue)) {
      return first.meters();
    }
    QueueMeters meters = metersByUnfoldedQueue.get(queue);
    if (meters == null) {
      meters = metersOfNewOrFoldedQueue(queue);
    }
    if (first == null) {
      firstQueue = new NamedMeters(queue, meters);
    }
    return meters;
  }

  private record NamedMeters(String queue, QueueMeters meters) {}

  private QueueMeters metersOfNewOrFoldedQueue(String queue) {
    String tag = folder.tagFor(queue);
    QueueMeters meters =
        metersByTag.computeIfAbsent(tag, newTag -> QueueMeters.register(registry, newTag, durationBuckets));
    if (tag.equals(queue)) {
      // The folder never changes its answer for a name, and at most the allow-list, queueTagLimit
      // more and the bucket names map to themselves, so this cache stays bounded.
      metersByUnfoldedQueue.putIfAbsent(queue, meters);
    }
    return meters;
  }

  /** Builds a {@link MicrometerQueueObserver}; {@link #build()} validates and leaves the builder reusable. */
  public static final class Builder {
    private final MeterRegistry registry;
    private Set<String> allowList;
    private Integer queueTagLimit;
    private int foldedQueueBuckets = DEFAULT_FOLDED_QUEUE_BUCKETS;
    private List<Duration> durationBuckets = DEFAULT_DURATION_BUCKETS;
    private Duration queueLengthInterval = DEFAULT_QUEUE_LENGTH_INTERVAL;

    private Builder(MeterRegistry registry) {
      this.registry = registry;
    }

    /**
     * Queue names always published as they are; other names are folded, except the first {@link
     * #queueTagLimit(int)} of them seen (none unless a limit is given). Default: no allow-list. A
     * name no queue can have ({@code null}, blank, or with characters queue names cannot hold),
     * and a name equal to a tag value of folded queues (see {@link
     * #foldedQueueBuckets(int)}), whose series would mix the folded queues' figures into its own,
     * are reported by {@link #build()}.
     */
    public Builder queueTagAllowList(Set<String> allowList) {
      // Not Set.copyOf, which throws on a null name here instead of letting build() report it.
      this.allowList = allowList == null ? null : Collections.unmodifiableSet(new LinkedHashSet<>(allowList));
      return this;
    }

    /**
     * How many distinct queue names beyond the allow-list are published as they are, first seen
     * first kept; later names are folded. Default {@value MicrometerQueueObserver#DEFAULT_QUEUE_TAG_LIMIT}
     * without an allow-list, 0 with one. Which names are kept then depends on the order the process
     * meets them: put the queues that must keep their names on the allow-list. A name equal to a
     * tag value of folded queues (see {@link #foldedQueueBuckets(int)}) is never kept but folded,
     * so that its series holds folded queues only.
     */
    public Builder queueTagLimit(int queueTagLimit) {
      this.queueTagLimit = queueTagLimit;
      return this;
    }

    /**
     * Tag values that folded queue names share: 1 gives the single value {@code other}; n &gt; 1
     * gives {@code other-0} … {@code other-<n-1>}, a name always landing in the same bucket.
     * 1 to {@value MicrometerQueueObserver#MAX_FOLDED_QUEUE_BUCKETS}; default {@value
     * MicrometerQueueObserver#DEFAULT_FOLDED_QUEUE_BUCKETS}.
     */
    public Builder foldedQueueBuckets(int foldedQueueBuckets) {
      this.foldedQueueBuckets = foldedQueueBuckets;
      return this;
    }

    /**
     * Upper bounds of the {@code job_processing_duration_seconds} histogram buckets, each
     * published as an {@code le} bucket: positive durations of at most 365 days. Default {@link
     * MicrometerQueueObserver#DEFAULT_DURATION_BUCKETS}.
     */
    public Builder durationBuckets(List<Duration> durationBuckets) {
      // Not List.copyOf, which throws on a null bound here instead of letting build() report it.
      this.durationBuckets =
          durationBuckets == null ? null : Collections.unmodifiableList(new ArrayList<>(durationBuckets));
      return this;
    }

    /** How often a {@link QueueLengthUpdater} reads the backend: 1 ms to 365 days; default 2 seconds. */
    public Builder queueLengthInterval(Duration queueLengthInterval) {
      this.queueLengthInterval = queueLengthInterval;
      return this;
    }

    /**
     * A new observer with this builder's settings; the builder stays usable.
     *
     * @throws InvalidConfigurationException naming every invalid argument, such as an allow-list
     *     holding a tag value of folded queues
     */
    public MicrometerQueueObserver build() {
      Problems problems = new Problems("micrometer queue observer")
          .notNull(registry, "registry")
          // Bucket names are built up front, and each is a series of every meter.
          .check(foldedQueueBuckets >= 1 && foldedQueueBuckets <= MAX_FOLDED_QUEUE_BUCKETS,
              "foldedQueueBuckets", "between 1 and " + MAX_FOLDED_QUEUE_BUCKETS, foldedQueueBuckets)
          // Intervals and bounds are converted to nanoseconds, which overflow past 292 years.
          .within(queueLengthInterval, Duration.ofMillis(1), Problems.LONGEST_SETTING, "queueLengthInterval",
              "between 1ms and 365 days")
          .check(durationBuckets != null && !durationBuckets.isEmpty(), "durationBuckets",
              "a non-empty list", durationBuckets)
          .check(durationBuckets == null || durationBuckets.stream().allMatch(Builder::isSupported),
              "durationBuckets", "positive durations of at most 365 days", durationBuckets)
          // A name no queue can have would never match, silently folding the queue it meant.
          .check(allowList == null || allowList.stream().allMatch(Names::isValid), "queueTagAllowList",
              "a set of queue names, each " + Names.RULE, allowList);
      if (allowList != null && foldedQueueBuckets >= 1 && foldedQueueBuckets <= MAX_FOLDED_QUEUE_BUCKETS) {
        checkNoFoldedTagValueIn(allowList, problems);
      }
      if (queueTagLimit != null) {
        problems.atLeast(queueTagLimit, 0, "queueTagLimit");
      }
      problems.throwIfAny();
      return new MicrometerQueueObserver(this);
    }

    /** An allow-listed queue named like a fold bucket would show the folded queues' figures as its own. */
    private void checkNoFoldedTagValueIn(Set<String> allowList, Problems problems) {
      List<String> folded = QueueTagFolder.foldedTagValues(foldedQueueBuckets);
      String rule = folded.size() == 1
          ? "queue names other than \"" + folded.get(0) + "\", the tag value of folded queues"
          : "queue names other than \"" + folded.get(0) + "\" to \"" + folded.get(folded.size() - 1)
              + "\", the tag values of folded queues";
      Set<String> foldedSet = Set.copyOf(folded);
      problems.check(allowList.stream().filter(Objects::nonNull).noneMatch(foldedSet::contains),
          "queueTagAllowList", rule, allowList);
    }

    private static boolean isSupported(Duration bound) {
      return bound != null && !bound.isNegative() && !bound.isZero()
          && bound.compareTo(Problems.LONGEST_SETTING) <= 0;
    }

    private int queueTagLimitOrDefault() {
      return queueTagLimit != null ? queueTagLimit : allowList != null ? 0 : DEFAULT_QUEUE_TAG_LIMIT;
    }
  }
}
