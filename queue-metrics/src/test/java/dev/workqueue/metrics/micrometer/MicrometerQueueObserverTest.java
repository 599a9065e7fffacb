package dev.workqueue.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.workqueue.BackendUnavailableException;
import dev.workqueue.CircuitBreakerState;
import dev.workqueue.Consumer;
import dev.workqueue.ConsumerState;
import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.RetryPolicy;
import dev.workqueue.event.JobFailedEvent;
import dev.workqueue.event.JobSucceededEvent;
import dev.workqueue.metrics.CapturedLog;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.Settlement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.simple.CountingMode;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.ref.WeakReference;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MicrometerQueueObserverTest {
  private static final String QUEUE = "orders";
  private static final Map<String, String> ORDERS = Map.of("queue", QUEUE);

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final InMemoryQueueBackend backend = InMemoryQueueBackend.create();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    backend.close();
  }

  @Test
  void scrapeAfterRunWithSuccessesRetriesAndDeadLettersShowsExactCounts() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).build();
    Producer producer = track(Producer.builder(backend).defaultQueue(QUEUE).observer(metrics).build());
    Consumer consumer = Consumer.builder(backend, MicrometerQueueObserverTest::handle)
        .name("billing")
        .queue(QUEUE)
        .concurrency(2)
        .fetchWait(Duration.ofMillis(20))
        .retryPolicy(RetryPolicy.builder().maxAttempts(2).initialBackoff(Duration.ofMillis(1))
            .maxBackoff(Duration.ofMillis(5)).jitter(0).build())
        .observer(metrics)
        .build();
    metrics.bindConsumer(consumer);
    QueueLengthUpdater lengths = track(metrics.startQueueLengthUpdater(backend));

    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      jobs.add(NewJob.of("ok"));
    }
    for (int i = 0; i < 3; i++) {
      jobs.add(NewJob.of("flaky"));
    }
    for (int i = 0; i < 2; i++) {
      jobs.add(NewJob.of("broken"));
    }
    producer.enqueueAll(jobs);
    lengths.refresh();
    assertThat(PrometheusSamples.parse(registry.scrape()).value("queue_length", ORDERS)).isEqualTo(10);

    consumer.start();
    await().atMost(Duration.ofSeconds(20)).until(() -> counter("jobs.completed") == 8
        && counter("jobs.dead.letter") == 2 && counter("jobs.retried") == 5);
    consumer.close();
    lengths.refresh();

    // ok: 1 attempt each; flaky: fails once, then succeeds; broken: fails both allowed attempts.
    PrometheusSamples scrape = PrometheusSamples.parse(registry.scrape());
    assertThat(scrape.value("jobs_produced_total", ORDERS)).isEqualTo(10);
    assertThat(scrape.value("jobs_consumed_total", ORDERS)).isEqualTo(5 + 3 * 2 + 2 * 2);
    assertThat(scrape.value("jobs_completed_total", ORDERS)).isEqualTo(5 + 3);
    assertThat(scrape.value("jobs_failed_total", ORDERS)).isEqualTo(3 + 2 * 2);
    assertThat(scrape.value("jobs_retried_total", ORDERS)).isEqualTo(3 + 2);
    assertThat(scrape.value("jobs_dead_letter_total", ORDERS)).isEqualTo(2);
    assertThat(scrape.value("jobs_recovered_total", ORDERS)).isZero();
    assertThat(scrape.value("job_processing_duration_seconds_count", Map.of("queue", QUEUE, "outcome", "success")))
        .isEqualTo(8);
    assertThat(scrape.value("job_processing_duration_seconds_count", Map.of("queue", QUEUE, "outcome", "failure")))
        .isEqualTo(7);
    assertThat(scrape.value("job_processing_duration_seconds_bucket",
        Map.of("queue", QUEUE, "outcome", "success", "le", "+Inf"))).isEqualTo(8);
    assertThat(scrape.find("job_processing_duration_seconds_bucket", Map.of("outcome", "success")))
        .hasSize(MicrometerQueueObserver.DEFAULT_DURATION_BUCKETS.size() + 1);
    assertThat(scrape.value("worker_active", Map.of("consumer", "billing", "queue", QUEUE))).isZero();
    assertThat(scrape.value("circuit_breaker_state", Map.of("consumer", "billing", "queue", QUEUE))).isZero();
    assertThat(scrape.value("queue_length", ORDERS)).isZero();
    assertThat(scrape.value("queue_dead_letters", ORDERS)).isEqualTo(2);
    assertThat(scrape.value("queue_in_flight", ORDERS)).isZero();
    assertThat(scrape.value("queue_delayed", ORDERS)).isZero();
    assertThat(scrape.text()).contains(
        "# TYPE jobs_produced_total counter",
        "# TYPE jobs_dead_letter_total counter",
        "# TYPE job_processing_duration_seconds histogram",
        "# TYPE worker_active gauge",
        "# TYPE circuit_breaker_state gauge",
        "# TYPE queue_length gauge");
  }

  @Test
  void queueGaugesShowDelayedLeasedAndDeadJobsAsTheBackendHoldsThem() throws InterruptedException {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).build();
    QueueLengthUpdater lengths = track(metrics.startQueueLengthUpdater(backend));
    Producer producer = track(Producer.builder(backend).defaultQueue(QUEUE).build());
    producer.enqueueAll(List.of(NewJob.of("waits"), NewJob.of("taken"), NewJob.of("dies"),
        NewJob.builder("later").delay(Duration.ofHours(1)).build()));
    FetchRequest take = new FetchRequest("c", QUEUE, List.of(Producer.DEFAULT_PRIORITY), 1,
        Duration.ofHours(1), Duration.ZERO);
    backend.fetch(take);
    LeasedJob dying = backend.fetch(take).jobs().get(0);
    JobError error = new JobError("E", "failed", Instant.now());
    backend.settle(List.of(new Settlement.DeadLetter(dying.lease(), error)));

    lengths.refresh();

    PrometheusSamples scrape = PrometheusSamples.parse(registry.scrape());
    assertThat(scrape.value("queue_length", ORDERS)).isEqualTo(1);
    assertThat(scrape.value("queue_in_flight", ORDERS)).isEqualTo(1);
    assertThat(scrape.value("queue_delayed", ORDERS)).isEqualTo(1);
    assertThat(scrape.value("queue_dead_letters", ORDERS)).isEqualTo(1);
    assertThat(scrape.text()).contains("# TYPE queue_in_flight gauge", "# TYPE queue_delayed gauge",
        "# TYPE queue_dead_letters gauge");
  }

  @Test
  void everyMeterHasADescription() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).build();
    Producer producer = track(Producer.builder(backend).defaultQueue(QUEUE).observer(metrics).build());
    producer.enqueue("x");
    metrics.bindConsumer(new StubConsumer("billing", QUEUE));
    track(metrics.startQueueLengthUpdater(backend)).refresh();

    assertThat(registry.getMeters()).extracting(meter -> meter.getId().getName())
        .contains("jobs.produced", "job.processing.duration", "worker.active", "circuit.breaker.state",
            "queue.length");
    assertThat(registry.getMeters()).map(Meter::getId).allSatisfy(id ->
        assertThat(id.getDescription()).as(id.getName()).isNotBlank());
  }

  @Test
  void queueLengthFollowsTheBackendWithinTwoRefreshIntervals() {
    Duration interval = Duration.ofMillis(500);
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueLengthInterval(interval).build();
    Producer producer = track(Producer.builder(backend).defaultQueue(QUEUE).build());
    track(metrics.startQueueLengthUpdater(backend));

    producer.enqueueAll(List.of(NewJob.of("a"), NewJob.of("b"), NewJob.of("c")));
    await().atMost(interval.multipliedBy(2)).until(() -> queueLength(QUEUE) == 3);

    producer.enqueueAll(List.of(NewJob.of("d"), NewJob.builder("e").priority("high").build()));
    await().atMost(interval.multipliedBy(2)).until(() -> queueLength(QUEUE) == 5);
  }

  /**
   * The registry keeps the first gauge of a tag value; an updater started after another was
   * closed, and the updaters of two backends, must all reach it: the gauge shows their sum.
   */
  @Test
  void queueLengthSumsTheUpdatersOfSeveralBackendsAndFollowsOneStartedAfterAnotherClosed() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).build();
    Producer producer = track(Producer.builder(backend).defaultQueue(QUEUE).build());
    producer.enqueue("a");
    QueueLengthUpdater first = metrics.startQueueLengthUpdater(backend);
    first.refresh();
    assertThat(queueLength(QUEUE)).isEqualTo(1);
    first.close();

    producer.enqueueAll(List.of(NewJob.of("b"), NewJob.of("c")));
    track(metrics.startQueueLengthUpdater(backend)).refresh();
    assertThat(queueLength(QUEUE)).isEqualTo(3);

    InMemoryQueueBackend other = InMemoryQueueBackend.create();
    track(other);
    track(Producer.builder(other).defaultQueue(QUEUE).build()).enqueue("d");
    track(metrics.startQueueLengthUpdater(other)).refresh();
    assertThat(queueLength(QUEUE)).isEqualTo(4);
  }

  /**
   * A step registry (the kind behind OTLP delta, Datadog or CloudWatch exports) shows what each
   * interval added: completed and failed attempts must count per interval there too.
   */
  @Test
  void completedAndFailedAttemptsCountPerIntervalOnAStepRegistry() {
    MockClock clock = new MockClock();
    SimpleMeterRegistry steps = new SimpleMeterRegistry(new SimpleConfig() {
      @Override
      public String get(String key) {
        return null;
      }

      @Override
      public CountingMode mode() {
        return CountingMode.STEP;
      }
    }, clock);
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(steps).build();
    Job job =
        new Job("job-1", QUEUE, "default", new byte[1], 1, 0, Instant.EPOCH, Instant.EPOCH, Map.of(), null);

    List<Double> completedPerStep = new ArrayList<>();
    for (int jobs : new int[] {10, 10, 4}) {
      for (int i = 0; i < jobs; i++) {
        metrics.onSucceeded(new JobSucceededEvent(job, "billing", QUEUE, Duration.ofMillis(3)));
      }
      metrics.onFailed(new JobFailedEvent(job, "billing", new JobError("x", "y", Instant.EPOCH),
          Duration.ofMillis(3)));
      clock.add(SimpleConfig.DEFAULT.step());
      completedPerStep.add(steps.get("jobs.completed").tag("queue", QUEUE).counter().count());
      assertThat(steps.get("jobs.failed").tag("queue", QUEUE).counter().count()).isEqualTo(1);
    }

    assertThat(completedPerStep).containsExactly(10.0, 10.0, 4.0);
  }

  @Test
  void queueLengthUpdaterRunsOnANamedThreadThatStopsOnClose() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueLengthInterval(Duration.ofMillis(50)).build();
    Set<Thread> before = updaterThreads();
    QueueLengthUpdater updater = metrics.startQueueLengthUpdater(backend);
    await().atMost(Duration.ofSeconds(5)).until(() -> !difference(updaterThreads(), before).isEmpty());
    Set<Thread> started = difference(updaterThreads(), before);

    updater.close();
    updater.close();

    await().atMost(Duration.ofSeconds(5)).until(() -> started.stream().noneMatch(Thread::isAlive));
  }

  /**
   * close() took the updater's readings out while a read was still under way (a backend slower
   * than close() waits, or refresh() on another thread); that read then put them back for good.
   */
  @Test
  void aReadThatOutlivesCloseLeavesNoReadingBehindAndRefreshAfterCloseIsRefused() throws Exception {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueLengthInterval(Duration.ofDays(1)).build();
    track(Producer.builder(backend).defaultQueue(QUEUE).build()).enqueue("a");
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // Holds up stats() on any thread but the updater's own, so that close() does not wait for it.
    QueueBackend slow = (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(),
        new Class<?>[] {QueueBackend.class}, (proxy, method, args) -> {
          if (method.getName().equals("stats")
              && !Thread.currentThread().getName().equals("workqueue-metrics-queue-length")) {
            reading.countDown();
            release.await();
          }
          return method.invoke(backend, args);
        });
    QueueLengthUpdater updater = metrics.startQueueLengthUpdater(slow);
    await().atMost(Duration.ofSeconds(10)).until(() -> queueLength(QUEUE) == 1);
    Thread caller = new Thread(updater::refresh, "refresh-under-way");
    caller.start();
    assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();

    updater.close();
    assertThat(queueLength(QUEUE)).isZero();
    release.countDown();
    caller.join(Duration.ofSeconds(10).toMillis());

    assertThat(caller.isAlive()).isFalse();
    assertThat(queueLength(QUEUE)).isZero();
    assertThatThrownBy(updater::refresh)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("queue length updater is closed");
    assertThat(queueLength(QUEUE)).isZero();
  }

  /**
   * Of two reads under way at once (a slow scheduled one and a refresh(), or two refresh() calls),
   * the one started first but finished last used to write its older reading over the newer one.
   */
  @Test
  void aReadThatFinishesAfterALaterOneDoesNotOverwriteTheNewerReading() throws Exception {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueLengthInterval(Duration.ofDays(1)).build();
    Producer producer = track(Producer.builder(backend).defaultQueue(QUEUE).build());
    producer.enqueue("a");
    CountDownLatch slowReadTaken = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // Holds up a read on the thread "slow-refresh" after it has read the backend.
    QueueBackend slow = (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(),
        new Class<?>[] {QueueBackend.class}, (proxy, method, args) -> {
          Object result = method.invoke(backend, args);
          if (method.getName().equals("stats") && Thread.currentThread().getName().equals("slow-refresh")) {
            slowReadTaken.countDown();
            release.await();
          }
          return result;
        });
    QueueLengthUpdater updater = track(metrics.startQueueLengthUpdater(slow));
    await().atMost(Duration.ofSeconds(10)).until(() -> queueLength(QUEUE) == 1);
    Thread slowRefresh = new Thread(updater::refresh, "slow-refresh");
    slowRefresh.start();
    assertThat(slowReadTaken.await(10, TimeUnit.SECONDS)).isTrue();

    producer.enqueueAll(List.of(NewJob.of("b"), NewJob.of("c")));
    updater.refresh();
    assertThat(queueLength(QUEUE)).isEqualTo(3);
    release.countDown();
    slowRefresh.join(Duration.ofSeconds(10).toMillis());

    assertThat(slowRefresh.isAlive()).isFalse();
    assertThat(queueLength(QUEUE)).isEqualTo(3);
  }

  /** An error thrown on the updater's thread used to cancel its schedule for good, silently. */
  @Test
  void theUpdaterKeepsRefreshingAfterTheBackendThrewAnError() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueLengthInterval(Duration.ofMillis(20)).build();
    track(Producer.builder(backend).defaultQueue(QUEUE).build()).enqueue("a");
    AtomicInteger calls = new AtomicInteger();
    QueueBackend failingOnce = (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(),
        new Class<?>[] {QueueBackend.class}, (proxy, method, args) -> {
          if (method.getName().equals("queues") && calls.incrementAndGet() == 1) {
            throw new StackOverflowError("deep in the backend's client");
          }
          return method.invoke(backend, args);
        });

    track(metrics.startQueueLengthUpdater(failingOnce));

    await().atMost(Duration.ofSeconds(10)).until(() -> queueLength(QUEUE) == 1);
    assertThat(calls.get()).isGreaterThan(1);
  }

  /**
   * Each queue's keys live in one Cluster slot, so a shard that is down fails the stats of its
   * queues only; that used to freeze queue_length of every queue, the healthy ones too.
   */
  @Test
  void aQueueWhoseStatsFailKeepsItsLastLengthWhileTheOtherQueuesAreStillRefreshed() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueLengthInterval(Duration.ofDays(1)).build();
    Producer producer = track(Producer.builder(backend).defaultQueue(QUEUE).build());
    producer.enqueueAll(List.of(NewJob.of("a"), NewJob.builder("b").queue("invoices").build()));
    AtomicBoolean invoicesShardDown = new AtomicBoolean();
    QueueBackend partlyDown = (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(),
        new Class<?>[] {QueueBackend.class}, (proxy, method, args) -> {
          if (method.getName().equals("stats") && args[0].equals("invoices") && invoicesShardDown.get()) {
            throw new BackendUnavailableException("shard of invoices is down", null);
          }
          return method.invoke(backend, args);
        });
    QueueLengthUpdater updater = track(metrics.startQueueLengthUpdater(partlyDown));
    updater.refresh();
    assertThat(queueLength(QUEUE)).isEqualTo(1);
    assertThat(queueLength("invoices")).isEqualTo(1);

    invoicesShardDown.set(true);
    producer.enqueueAll(List.of(NewJob.of("c"), NewJob.builder("d").queue("invoices").build()));
    updater.refresh();

    assertThat(queueLength(QUEUE)).isEqualTo(2);
    assertThat(queueLength("invoices")).isEqualTo(1);
    invoicesShardDown.set(false);
    updater.refresh();
    assertThat(queueLength("invoices")).isEqualTo(2);
  }

  @Test
  void aReadThatCloseInterruptsIsNotReportedAsAFailure() throws InterruptedException {
    ListAppender<ILoggingEvent> log = CapturedLog.of(
        "dev.workqueue.metrics.internal.ScheduledQueueLengthUpdater");
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueLengthInterval(Duration.ofMillis(10)).build();
    track(Producer.builder(backend).defaultQueue(QUEUE).build()).enqueue("a");
    CountDownLatch waiting = new CountDownLatch(1);
    // Like a Redis backend waiting for a pooled connection: an interrupt ends the wait with a failure.
    QueueBackend poolExhausted = (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(),
        new Class<?>[] {QueueBackend.class}, (proxy, method, args) -> {
          if (method.getName().equals("stats")) {
            waiting.countDown();
            try {
              new CountDownLatch(1).await();
            } catch (InterruptedException e) {
              throw new BackendUnavailableException("interrupted while waiting for a connection", e);
            }
          }
          return method.invoke(backend, args);
        });
    QueueLengthUpdater updater = metrics.startQueueLengthUpdater(poolExhausted);
    assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();

    updater.close();

    assertThat(log.list).isEmpty();
  }

  @Test
  void consumerGaugesAreReadFromBoundConsumersAtEachScrape() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).build();
    StubConsumer first = new StubConsumer("billing", QUEUE);
    StubConsumer second = new StubConsumer("billing", QUEUE);
    metrics.bindConsumer(first);
    metrics.bindConsumer(second);
    metrics.bindConsumer(second);
    Map<String, String> billing = Map.of("consumer", "billing", "queue", QUEUE);

    first.activeWorkers = 3;
    second.activeWorkers = 2;
    second.breaker = CircuitBreakerState.HALF_OPEN;
    PrometheusSamples scrape = PrometheusSamples.parse(registry.scrape());
    assertThat(scrape.value("worker_active", billing)).isEqualTo(5);
    assertThat(scrape.value("circuit_breaker_state", billing)).isEqualTo(1);

    first.breaker = CircuitBreakerState.OPEN;
    second.state = ConsumerState.STOPPED;
    scrape = PrometheusSamples.parse(registry.scrape());
    assertThat(scrape.value("worker_active", billing)).isEqualTo(3);
    assertThat(scrape.value("circuit_breaker_state", billing)).isEqualTo(2);
  }

  /** A host that replaces its consumers must not keep the stopped ones alive through the gauges. */
  @Test
  void aStoppedConsumerIsLetGoAtTheNextScrapeAndItsSeriesStaysAtZero() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).build();
    StubConsumer stopped = new StubConsumer("billing", QUEUE);
    stopped.activeWorkers = 2;
    metrics.bindConsumer(stopped);
    WeakReference<StubConsumer> released = new WeakReference<>(stopped);
    stopped.state = ConsumerState.STOPPED;
    stopped = null;

    PrometheusSamples scrape = PrometheusSamples.parse(registry.scrape());

    assertThat(scrape.value("worker_active", Map.of("consumer", "billing", "queue", QUEUE))).isZero();
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      System.gc();
      return released.get() == null;
    });
  }

  @Test
  void duplicateEnqueuesAreNotCountedAsProduced() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).build();
    Producer producer = track(Producer.builder(backend).defaultQueue(QUEUE).observer(metrics).build());

    producer.enqueue(NewJob.builder("x").idempotencyKey("once").build());
    producer.enqueue(NewJob.builder("x").idempotencyKey("once").build());

    assertThat(counter("jobs.produced")).isEqualTo(1);
  }

  @Test
  void jobsOfEnqueueCallsTheBackendFailedAreCountedPerQueueAndReason() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).build();
    Deque<RuntimeException> failures = new ArrayDeque<>(List.of(
        new BackendUnavailableException("connection refused", null),
        new QueueException("OOM command not allowed when used memory > 'maxmemory'")));
    QueueBackend failing = (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(),
        new Class<?>[] {QueueBackend.class}, (proxy, method, args) -> {
          if (method.getName().equals("enqueue") && !failures.isEmpty()) {
            throw failures.removeFirst();
          }
          return method.invoke(backend, args);
        });
    Producer producer = track(Producer.builder(failing).defaultQueue(QUEUE).observer(metrics).build());
    List<NewJob> twoQueues =
        List.of(NewJob.of("a"), NewJob.builder("b").queue("emails").build(), NewJob.of("c"));

    assertThatThrownBy(() -> producer.enqueueAll(twoQueues)).isInstanceOf(BackendUnavailableException.class);
    assertThatThrownBy(() -> producer.enqueue("d")).isExactlyInstanceOf(QueueException.class);
    producer.enqueue("stored");

    PrometheusSamples scrape = PrometheusSamples.parse(registry.scrape());
    String failed = "jobs_enqueue_failed_total";
    assertThat(scrape.value(failed, Map.of("queue", QUEUE, "reason", "unavailable"))).isEqualTo(2);
    assertThat(scrape.value(failed, Map.of("queue", "emails", "reason", "unavailable"))).isEqualTo(1);
    assertThat(scrape.value(failed, Map.of("queue", QUEUE, "reason", "refused"))).isEqualTo(1);
    assertThat(scrape.value(failed, Map.of("queue", "emails", "reason", "refused"))).isZero();
    assertThat(scrape.value("jobs_produced_total", ORDERS)).isEqualTo(1);
  }

  @Test
  void eventsOfInterleavedQueuesAreCountedUnderTheirOwnTags() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(Set.of("emails", "reports"))
        .build();
    Producer producer = track(Producer.builder(backend).observer(metrics).build());
    // The first queue seen is folded, later ones are not: each must still land under its own tag.
    List<String> queues = List.of("scratch", "emails", "scratch", "reports", "emails", "emails", "scratch");
    for (String queue : queues) {
      producer.enqueue(NewJob.builder("x").queue(queue).build());
    }

    PrometheusSamples scrape = PrometheusSamples.parse(registry.scrape());
    assertThat(scrape.value("jobs_produced_total", Map.of("queue", "other"))).isEqualTo(3);
    assertThat(scrape.value("jobs_produced_total", Map.of("queue", "emails"))).isEqualTo(3);
    assertThat(scrape.value("jobs_produced_total", Map.of("queue", "reports"))).isEqualTo(1);
  }

  @Test
  void aBatchOfSeveralQueuesIsCountedPerQueueWithoutItsDuplicates() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).build();
    Producer producer = track(Producer.builder(backend).observer(metrics).build());
    producer.enqueue(NewJob.builder("x").queue("emails").idempotencyKey("known").build());

    producer.enqueueAll(List.of(
        NewJob.builder("x").queue("emails").build(),
        NewJob.builder("x").queue("emails").idempotencyKey("known").build(),
        NewJob.builder("x").queue("reports").build(),
        NewJob.builder("x").queue("emails").build(),
        NewJob.builder("x").queue("emails").build()));

    PrometheusSamples scrape = PrometheusSamples.parse(registry.scrape());
    assertThat(scrape.value("jobs_produced_total", Map.of("queue", "emails"))).isEqualTo(4);
    assertThat(scrape.value("jobs_produced_total", Map.of("queue", "reports"))).isEqualTo(1);
  }

  @Test
  void aBatchOfSucceededAttemptsIsCountedAndTimedPerQueue() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).build();
    Job email = new Job("job-1", "emails", "default", new byte[1], 1, 0, Instant.EPOCH, Instant.EPOCH, Map.of(), null);
    Job report = new Job("job-2", "reports", "default", new byte[1], 1, 0, Instant.EPOCH, Instant.EPOCH, Map.of(), null);

    metrics.onSucceededBatch(List.of(
        new JobSucceededEvent(email, "mixed", "emails", Duration.ofMillis(3)),
        new JobSucceededEvent(email, "mixed", "emails", Duration.ofMillis(7)),
        new JobSucceededEvent(report, "mixed", "reports", Duration.ofSeconds(2)),
        new JobSucceededEvent(email, "mixed", "emails", Duration.ofMillis(1))));

    PrometheusSamples scrape = PrometheusSamples.parse(registry.scrape());
    Map<String, String> emails = Map.of("queue", "emails", "outcome", "success");
    Map<String, String> reports = Map.of("queue", "reports", "outcome", "success");
    assertThat(scrape.value("jobs_completed_total", Map.of("queue", "emails"))).isEqualTo(3);
    assertThat(scrape.value("jobs_completed_total", Map.of("queue", "reports"))).isEqualTo(1);
    assertThat(scrape.value("job_processing_duration_seconds_count", emails)).isEqualTo(3);
    assertThat(scrape.value("job_processing_duration_seconds_sum", emails)).isCloseTo(0.011, within(1e-9));
    assertThat(scrape.value("job_processing_duration_seconds_bucket", with(emails, "le", "0.005"))).isEqualTo(2);
    assertThat(scrape.value("job_processing_duration_seconds_bucket", with(emails, "le", "0.01"))).isEqualTo(3);
    assertThat(scrape.value("job_processing_duration_seconds_count", reports)).isEqualTo(1);
    assertThat(scrape.value("job_processing_duration_seconds_bucket", with(reports, "le", "1.0"))).isZero();
    assertThat(scrape.value("job_processing_duration_seconds_bucket", with(reports, "le", "2.5"))).isEqualTo(1);
  }

  private static Map<String, String> with(Map<String, String> labels, String name, String value) {
    Map<String, String> extended = new HashMap<>(labels);
    extended.put(name, value);
    return extended;
  }

  @Test
  void buildReportsEveryInvalidSettingAtOnce() {
    assertThatThrownBy(() -> MicrometerQueueObserver.builder(null)
        .foldedQueueBuckets(0)
        .queueLengthInterval(Duration.ZERO)
        .durationBuckets(List.of())
        .queueTagAllowList(Set.of("a"))
        .queueTagLimit(-1)
        .build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("registry must be set, but was null")
        .hasMessageContaining("foldedQueueBuckets must be between 1 and 1000, but was 0")
        .hasMessageContaining("queueLengthInterval must be between 1ms and 365 days, but was PT0S")
        .hasMessageContaining("durationBuckets must be a non-empty list, but was []")
        .hasMessageContaining("queueTagLimit must be at least 0, but was -1");
    assertThatThrownBy(() -> MicrometerQueueObserver.builder(registry)
        .durationBuckets(List.of(Duration.ofMillis(-1))).build())
        .hasMessageContaining("durationBuckets must be positive durations of at most 365 days, "
            + "but was [PT-0.001S]");
  }

  /**
   * Settings that build() took used to fail later: an interval past nanosecond overflow threw from
   * startQueueLengthUpdater, such a bucket bound from every event (which the guard swallowed, so no
   * duration was ever published), a huge fold count ran out of memory, and a null in a collection
   * threw a NullPointerException from the setter.
   */
  @Test
  void buildRejectsSettingsThatWouldOverflowRunOutOfMemoryOrHoldNull() {
    Duration centuries = Duration.ofDays(365L * 300);
    Set<String> allowList = new HashSet<>(Arrays.asList("orders", null));
    List<Duration> buckets = Arrays.asList(Duration.ofSeconds(1), null);

    assertThatThrownBy(() -> MicrometerQueueObserver.builder(registry)
        .queueLengthInterval(centuries)
        .foldedQueueBuckets(Integer.MAX_VALUE)
        .queueTagAllowList(allowList)
        .build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("queueLengthInterval must be between 1ms and 365 days, but was PT2628000H")
        .hasMessageContaining("foldedQueueBuckets must be between 1 and 1000, but was 2147483647")
        .hasMessageContaining("queueTagAllowList must be a set of queue names, each 1 to 128 characters");
    assertThatThrownBy(() -> MicrometerQueueObserver.builder(registry)
        .durationBuckets(List.of(centuries)).build())
        .hasMessageContaining("durationBuckets must be positive durations of at most 365 days, "
            + "but was [PT2628000H]");
    assertThatThrownBy(() -> MicrometerQueueObserver.builder(registry).durationBuckets(buckets).build())
        .hasMessageContaining("durationBuckets must be positive durations of at most 365 days, "
            + "but was [PT1S, null]");
    assertThatThrownBy(() -> MicrometerQueueObserver.builder(registry)
        .queueLengthInterval(Duration.ofNanos(1)).build())
        .hasMessageContaining("queueLengthInterval must be between 1ms and 365 days, but was PT0.000000001S");

    MicrometerQueueObserver longest = MicrometerQueueObserver.builder(registry)
        .queueLengthInterval(Duration.ofDays(365))
        .durationBuckets(List.of(Duration.ofDays(365)))
        .foldedQueueBuckets(MicrometerQueueObserver.MAX_FOLDED_QUEUE_BUCKETS)
        .build();
    track(longest.startQueueLengthUpdater(backend));
    track(Producer.builder(backend).defaultQueue(QUEUE).observer(longest).build()).enqueue("a");
    longest.onSucceeded(new JobSucceededEvent(
        new Job("job-1", QUEUE, "default", new byte[1], 1, 0, Instant.EPOCH, Instant.EPOCH, Map.of(), null),
        "billing", QUEUE, Duration.ofMillis(3)));
    assertThat(registry.get("job.processing.duration").tags("queue", QUEUE, "outcome", "success")
        .timer().count()).isEqualTo(1);
  }

  /**
   * A name no queue can have (a blank, or one split from a list without trimming) was taken and
   * then never matched, so the queue it meant was silently folded.
   */
  @Test
  void anAllowListNameThatNoQueueCanHaveIsRefused() {
    assertThatThrownBy(() -> MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(new LinkedHashSet<>(List.of("emails", " reports", ""))).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid micrometer queue observer: queueTagAllowList must be a set of queue names, "
            + "each 1 to 128 characters of letters, digits, '.', '_', ':' or '-', "
            + "but was [emails,  reports, ]");
  }

  private static void handle(Job job) {
    String payload = job.payloadAsString();
    if (payload.equals("broken") || (payload.equals("flaky") && job.attempt() == 1)) {
      throw new IllegalStateException("failing " + payload + " on purpose");
    }
  }

  /** The count of a counter or function counter of queue {@code QUEUE}. */
  private double counter(String name) {
    return registry.get(name).tag("queue", QUEUE).meter().measure().iterator().next().getValue();
  }

  private double queueLength(String queue) {
    var gauge = registry.find("queue.length").tag("queue", queue).gauge();
    return gauge == null ? -1 : gauge.value();
  }

  private static Set<Thread> updaterThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().equals("workqueue-metrics-queue-length") && thread.isAlive())
        .collect(Collectors.toSet());
  }

  private static Set<Thread> difference(Set<Thread> threads, Set<Thread> minus) {
    return threads.stream().filter(thread -> !minus.contains(thread)).collect(Collectors.toSet());
  }

  private <T extends AutoCloseable> T track(T closeable) {
    toClose.add(closeable);
    return closeable;
  }
}
