package dev.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.workqueue.event.CircuitBreakerStateChangedEvent;
import dev.workqueue.event.ConsumerStateChangedEvent;
import dev.workqueue.event.JobDeadLetteredEvent;
import dev.workqueue.event.JobRecoveredEvent;
import dev.workqueue.event.JobStartedEvent;
import dev.workqueue.event.JobSucceededEvent;
import dev.workqueue.event.JobsFetchedEvent;
import dev.workqueue.internal.CompositeObserver;
import dev.workqueue.internal.DefaultConsumer;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.JobInterceptor;
import dev.workqueue.spi.Lease;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.QueueObserver;
import dev.workqueue.spi.Settlement;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

class ConsumerTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String SPAN_ID = "b7ad6b7169203331";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-" + SPAN_ID + "-01";
  private final InMemoryQueueBackend backend = InMemoryQueueBackend.create();
  private final Producer producer = Producer.builder(backend).build();

  @AfterEach
  void close() {
    backend.close();
  }

  private Consumer.Builder consumer(JobHandler handler) {
    return Consumer.builder(backend, handler).fetchWait(Duration.ofMillis(100));
  }

  @Test
  void builderReportsEveryInvalidArgumentAtOnce() {
    assertThatThrownBy(() -> Consumer.builder(null, null).queue("bad queue").concurrency(0)
            .leaseDuration(Duration.ofMillis(10)).priorities(List.of()).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .satisfies(e -> assertThat(((InvalidConfigurationException) e).problems()).containsExactly(
            "backend must be set, but was null",
            "handler must be set, but was null",
            "queue must be 1 to 128 characters of letters, digits, '.', '_', ':' or '-', but was \"bad queue\"",
            "concurrency must be between 1 and 10000, but was 0",
            "leaseDuration must be between 100ms and 365 days, but was PT0.01S",
            "priorities must name at least one lane, but was []"));
  }

  /**
   * Values that would overflow the slot count or nanosecond arithmetic, make the scheduler refuse
   * an interval, or have an idle consumer poll the backend without pause are refused up front.
   */
  @Test
  void builderRefusesValuesTheEngineCannotRunWith() {
    assertThatThrownBy(() -> consumer(job -> {}).prefetch(Integer.MAX_VALUE)
            .drainTimeout(ChronoUnit.FOREVER.getDuration()).jobTimeout(Duration.ofMillis(Long.MAX_VALUE))
            .heartbeatInterval(Duration.ofNanos(500_000)).recoveryInterval(Duration.ofNanos(1))
            .fetchWait(Duration.ZERO).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .satisfies(e -> assertThat(((InvalidConfigurationException) e).problems()).containsExactly(
            "prefetch must be between 0 and 1000000, but was 2147483647",
            "jobTimeout must be a positive duration of at most 365 days, but was PT2562047788015H12M55.807S",
            "heartbeatInterval must be between 1ms and 365 days, but was PT0.0005S",
            "drainTimeout must be zero or a positive duration of at most 365 days, but was "
                + "PT2562047788015215H30M7.999999999S",
            "recoveryInterval must be between 1ms and 365 days, but was PT0.000000001S",
            "fetchWait must be between 10ms and 365 days, but was PT0S"));
  }

  @Test
  void nullPriorityNameIsReportedWithTheRuleByBuild() {
    Consumer.Builder builder = consumer(job -> {}).priorities("high", null);

    assertThatThrownBy(builder::build)
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("priorities must be names of 1 to 128 characters of letters, digits, '.', '_', "
            + "':' or '-', but was [high, null]");
  }

  @Test
  void closedConsumerNoLongerCountsInTheQueueStats() {
    producer.enqueue("x"); // makes the queue known
    // A long lease: the heartbeat's TTL (three intervals) would keep a closed consumer counted 5 min.
    Consumer consumer = consumer(job -> {}).leaseDuration(Duration.ofMinutes(5)).build();
    consumer.start();
    await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).consumers() == 1);

    consumer.close();

    assertThat(backend.stats(Producer.DEFAULT_QUEUE).consumers()).isZero();
  }

  @Test
  void weightedModeNeedsAWeightForEveryServedPriority() {
    assertThatThrownBy(() -> consumer(job -> {}).priorities("high", "low")
            .priorityMode(PriorityMode.weighted(Map.of("high", 3))).build())
        .hasMessageContaining("priorityMode.weights.low must be a positive weight for every served priority, but was null");
  }

  @Test
  void heartbeatIntervalMustBeAtMostHalfTheLease() {
    assertThatThrownBy(() -> consumer(job -> {}).leaseDuration(Duration.ofSeconds(1))
            .heartbeatInterval(Duration.ofMillis(501)).build())
        .hasMessageContaining(
            "heartbeatInterval must be at most half of leaseDuration (PT1S), but was PT0.501S");
    consumer(job -> {}).leaseDuration(Duration.ofSeconds(1)).heartbeatInterval(Duration.ofMillis(500))
        .build().close();
  }

  @Test
  void handlerPastTheJobTimeoutIsInterruptedAndItsAttemptFails() {
    AtomicBoolean interrupted = new AtomicBoolean();
    try (Consumer consumer = consumer(job -> {
          try {
            Thread.sleep(PATIENCE.toMillis());
          } catch (InterruptedException e) {
            interrupted.set(true);
            throw e;
          }
        }).jobTimeout(Duration.ofMillis(200)).retryPolicy(RetryPolicy.noRetries()).build()) {
      producer.enqueue("slow");
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).dead() == 1);
    }
    assertThat(interrupted).isTrue();
    DeadLetter dead = backend.peekDead(Producer.DEFAULT_QUEUE, 1).get(0);
    assertThat(dead.error().type()).isEqualTo("timeout");
    assertThat(dead.error().message()).contains("jobTimeout PT0.2S");
  }

  @Test
  void anUnrecoverableFailureGoesToTheDeadLetterQueueWithoutTheAttemptsLeft() {
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    try (Consumer consumer = consumer(job -> {
          attempts.add(job.attempt());
          if (job.payloadAsString().equals("bad")) {
            throw new UnrecoverableJobException("order 7 does not exist");
          }
          // Wrapped, as a library the handler calls might wrap it.
          throw new IllegalStateException("lookup failed", new UnrecoverableJobException("no such customer"));
        }).retryPolicy(RetryPolicy.builder().maxAttempts(5).initialBackoff(Duration.ofMillis(10)).build())
        .build()) {
      producer.enqueue("bad");
      producer.enqueue("wrapped");
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).dead() == 2);
    }
    assertThat(attempts).containsExactly(1, 1);
    assertThat(backend.peekDead(Producer.DEFAULT_QUEUE, 2)).extracting(dead -> dead.error().type())
        .containsExactlyInAnyOrder(UnrecoverableJobException.class.getName(),
            IllegalStateException.class.getName());
  }

  @Test
  void anAttemptTheJobTimeoutEndedBeforeItsHandlerStartedNeverRunsTheHandler() {
    CountDownLatch deadLettered = new CountDownLatch(1);
    AtomicInteger handlerRuns = new AtomicInteger();
    QueueObserver slowStart = new QueueObserver() {
      @Override
      public void onStarted(JobStartedEvent event) {
        try {
          // Held past the job timeout: the watchdog fails the attempt meanwhile.
          deadLettered.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void onDeadLettered(JobDeadLetteredEvent event) {
        deadLettered.countDown();
      }
    };
    try (Consumer consumer = consumer(job -> handlerRuns.incrementAndGet()).observer(slowStart)
        .jobTimeout(Duration.ofMillis(200)).retryPolicy(RetryPolicy.noRetries()).build()) {
      producer.enqueue("late");
      consumer.start();
      await().atMost(PATIENCE).until(() -> deadLettered.getCount() == 0 && consumer.activeWorkers() == 0);
    }
    assertThat(handlerRuns).hasValue(0);
    assertThat(backend.peekDead(Producer.DEFAULT_QUEUE, 1).get(0).error().type()).isEqualTo("timeout");
  }

  @Test
  void aThrowingObserverNeverDisturbsProcessingNorTheOtherObservers() {
    List<String> seen = new CopyOnWriteArrayList<>();
    QueueObserver throwing = new QueueObserver() {
      @Override
      public void onStarted(JobStartedEvent event) {
        throw new IllegalStateException("observer bug");
      }

      @Override
      public void onSucceeded(JobSucceededEvent event) {
        throw new OutOfMemoryError("pretend");
      }
    };
    QueueObserver recording = new QueueObserver() {
      @Override
      public void onSucceeded(JobSucceededEvent event) {
        seen.add(event.job().payloadAsString());
      }
    };
    try (Consumer consumer = consumer(job -> {}).observer(throwing).observer(recording).build()) {
      producer.enqueue("a");
      producer.enqueue("b");
      consumer.start();
      await().atMost(PATIENCE).until(() -> seen.size() == 2);
    }
    assertThat(seen).containsExactlyInAnyOrder("a", "b");
    assertThat(backend.stats(Producer.DEFAULT_QUEUE).pending()).isZero();
  }

  @Test
  void successIsReportedWithConsumerQueueAndHandlerTime() {
    List<JobSucceededEvent> succeeded = new CopyOnWriteArrayList<>();
    QueueObserver recording = new QueueObserver() {
      @Override
      public void onSucceeded(JobSucceededEvent event) {
        succeeded.add(event);
      }
    };
    try (Consumer consumer = consumer(job -> Thread.sleep(20)).queue("reports").name("reporter")
        .observer(recording).build()) {
      String id = producer.enqueue(NewJob.builder("monthly").queue("reports").build()).jobId();
      consumer.start();
      await().atMost(PATIENCE).until(() -> !succeeded.isEmpty());
      JobSucceededEvent event = succeeded.get(0);
      assertThat(event.job().id()).isEqualTo(id);
      assertThat(event.consumer()).isEqualTo("reporter");
      assertThat(event.queue()).isEqualTo("reports").isEqualTo(event.job().queue());
      assertThat(event.duration()).isGreaterThanOrEqualTo(Duration.ofMillis(20));
    }
  }

  @Test
  void successesReachABatchObserverOnceEachInBatchesItCannotChange() {
    List<JobSucceededEvent> succeeded = new CopyOnWriteArrayList<>();
    List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    AtomicBoolean modifiable = new AtomicBoolean();
    QueueObserver batches = new QueueObserver() {
      @Override
      public void onSucceededBatch(List<JobSucceededEvent> events) {
        batchSizes.add(events.size());
        succeeded.addAll(events);
        // Recorded rather than asserted here: the guard around observers would swallow a failure.
        try {
          events.remove(0);
          modifiable.set(true);
        } catch (UnsupportedOperationException expected) {
          // the list is the consumer's
        }
      }
    };
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      ids.add(producer.enqueue(NewJob.builder("job-" + i).queue("reports").build()).jobId());
    }
    try (Consumer consumer = consumer(job -> {}).queue("reports").name("reporter").concurrency(4)
        .observer(batches).build()) {
      consumer.start();
      await().atMost(PATIENCE).until(() -> succeeded.size() >= ids.size());
    }
    assertThat(succeeded).extracting(event -> event.job().id()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(succeeded).allSatisfy(event -> {
      assertThat(event.consumer()).isEqualTo("reporter");
      assertThat(event.queue()).isEqualTo("reports");
      assertThat(event.duration().isNegative()).isFalse();
    });
    assertThat(batchSizes).allSatisfy(size -> assertThat(size).isPositive());
    assertThat(modifiable).isFalse();
  }

  /**
   * Workers publish the settler's success batches between jobs; however many of them pass by,
   * a consumer's observer gets one call at a time, and close() returns only after the last, also
   * when it stops the consumer mid-run.
   */
  @Test
  void successBatchesReachObserversOneCallAtATimeAndAllBeforeCloseReturns() {
    int jobs = 20_000;
    AtomicInteger inCall = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    AtomicInteger delivered = new AtomicInteger();
    Set<String> threads = ConcurrentHashMap.newKeySet();
    QueueObserver counting = new QueueObserver() {
      @Override
      public void onSucceededBatch(List<JobSucceededEvent> events) {
        mostAtOnce.accumulateAndGet(inCall.incrementAndGet(), Math::max);
        threads.add(Thread.currentThread().getName().replaceAll("\\d+$", "N"));
        delivered.addAndGet(events.size());
        inCall.decrementAndGet();
      }
    };
    AtomicInteger handled = new AtomicInteger();
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      batch.add(NewJob.of("job-" + i));
    }
    producer.enqueueAll(batch);
    try (Consumer consumer = consumer(job -> handled.incrementAndGet()).name("counted").concurrency(8)
        .observer(counting).build()) {
      consumer.start();
      // Closed mid-run: the drain's last outcomes are queued just as the settler is told to stop.
      await().atMost(PATIENCE).until(() -> handled.get() >= jobs / 4);
    }
    assertThat(delivered.get()).isEqualTo(handled.get()).isPositive();
    assertThat(mostAtOnce).hasValue(1);
    assertThat(threads).isSubsetOf("workqueue-counted-worker-N", "workqueue-counted-settler");
  }

  @Test
  void everyDeliveryIsReportedFetchedBeforeItStarts() {
    List<String> events = new CopyOnWriteArrayList<>();
    List<String> retried = new CopyOnWriteArrayList<>();
    QueueObserver recording = new QueueObserver() {
      @Override
      public void onFetched(JobsFetchedEvent event) {
        assertThat(event.queue()).isEqualTo(Producer.DEFAULT_QUEUE);
        assertThat(event.consumer()).isEqualTo("fetch-test");
        event.jobs().forEach(job -> events.add("fetched " + job.payloadAsString() + "#" + job.attempt()));
      }

      @Override
      public void onStarted(JobStartedEvent event) {
        events.add("started " + event.job().payloadAsString() + "#" + event.job().attempt());
      }
    };
    try (Consumer consumer = consumer(job -> {
          if (job.payloadAsString().equals("flaky") && job.attempt() == 1) {
            throw new IllegalStateException("first attempt fails");
          }
        }).name("fetch-test").concurrency(4)
        .retryPolicy(RetryPolicy.builder().initialBackoff(Duration.ofMillis(10)).jitter(0).build())
        .observer(recording).build()) {
      producer.enqueueAll(List.of(NewJob.of("a"), NewJob.of("b"), NewJob.of("flaky")));
      consumer.start();
      await().atMost(PATIENCE).until(() -> events.contains("started flaky#2"));
    }
    List<String> deliveries = List.of("a#1", "b#1", "flaky#1", "flaky#2");
    assertThat(events).hasSize(2 * deliveries.size());
    for (String delivery : deliveries) {
      assertThat(events.indexOf("fetched " + delivery)).isNotNegative()
          .isLessThan(events.indexOf("started " + delivery));
    }
  }

  @Test
  void consumerReportsItsLifecycleToObservers() {
    List<ConsumerState> states = new CopyOnWriteArrayList<>();
    Consumer consumer = consumer(job -> {}).observer(new QueueObserver() {
      @Override
      public void onConsumerStateChanged(ConsumerStateChangedEvent event) {
        states.add(event.current());
      }
    }).build();
    assertThat(consumer.state()).isEqualTo(ConsumerState.NEW);
    consumer.start();
    consumer.close();
    consumer.close();
    assertThat(states).containsExactly(ConsumerState.RUNNING, ConsumerState.DRAINING, ConsumerState.STOPPED);
    assertThat(consumer.state()).isEqualTo(ConsumerState.STOPPED);
    assertThatThrownBy(consumer::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot start: it is STOPPED");
  }

  /**
   * A shutdown hook can close a consumer while another thread is still starting it. The close must
   * wait for the start to finish, then drain, rather than shut the consumer down under start(),
   * which then failed on the stopped scheduler.
   */
  @Test
  void closingWhileAnotherThreadStartsTheConsumerWaitsForTheStartThenStopsIt() throws InterruptedException {
    AtomicReference<Consumer> self = new AtomicReference<>();
    AtomicReference<Thread> closer = new AtomicReference<>();
    Consumer consumer = consumer(job -> {}).name("racing").observer(new QueueObserver() {
      @Override
      public void onConsumerStateChanged(ConsumerStateChangedEvent event) {
        if (event.current() == ConsumerState.RUNNING) {
          Thread thread = new Thread(self.get()::close);
          closer.set(thread);
          thread.start();
          // Until the close has run, or waits for this start to finish.
          await().atMost(PATIENCE).until(() -> self.get().state() == ConsumerState.STOPPED
              || thread.getState() == Thread.State.BLOCKED);
        }
      }
    }).build();
    self.set(consumer);

    consumer.start();

    closer.get().join(PATIENCE.toMillis());
    assertThat(closer.get().isAlive()).isFalse();
    assertThat(consumer.state()).isEqualTo(ConsumerState.STOPPED);
    await().atMost(PATIENCE).until(() -> workerThreads("racing").isEmpty());
  }

  /** An observer of the start may close the consumer on the starting thread. */
  @Test
  void closingFromAnObserverOfTheStartStopsTheConsumerAndStartReturns() {
    AtomicReference<Consumer> self = new AtomicReference<>();
    Consumer consumer = consumer(job -> {}).name("closed-at-start").observer(new QueueObserver() {
      @Override
      public void onConsumerStateChanged(ConsumerStateChangedEvent event) {
        if (event.current() == ConsumerState.RUNNING) {
          self.get().close();
        }
      }
    }).build();
    self.set(consumer);

    consumer.start();

    assertThat(consumer.state()).isEqualTo(ConsumerState.STOPPED);
    assertThat(workerThreads("closed-at-start")).isEmpty();
  }

  @Test
  void workerThreadsAreNamedAfterTheConsumer() {
    List<String> threads = new CopyOnWriteArrayList<>();
    try (Consumer consumer = consumer(job -> threads.add(Thread.currentThread().getName()))
        .name("mailer").build()) {
      producer.enqueue("a");
      consumer.start();
      await().atMost(PATIENCE).until(() -> !threads.isEmpty());
    }
    assertThat(threads.get(0)).matches("workqueue-mailer-worker-\\d+");
  }

  /**
   * Idle workers wait for work up to half a second at a time and the fetcher up to its fetch
   * wait; closing must end every one of them at once rather than wait those out. Ending takes a
   * few milliseconds, so the bound is far from both.
   */
  /**
   * Idle workers here wait for work for up to an hour between looks, so the consumer closes
   * within the test's patience only if {@code close()} wakes every one of them.
   */
  @Test
  void closingAnIdleConsumerWakesEveryWorkerInsteadOfWaitingOutItsIdlePoll() {
    Consumer consumer = new DefaultConsumer(new DefaultConsumer.Settings("idle", Producer.DEFAULT_QUEUE,
        List.of(Producer.DEFAULT_PRIORITY), PriorityMode.strict(), 8, 8, Consumer.DEFAULT_FETCH_BATCH_SIZE,
        RetryPolicy.builder().build(), Consumer.DEFAULT_JOB_TIMEOUT, Consumer.DEFAULT_LEASE_DURATION,
        Duration.ofSeconds(10), Consumer.DEFAULT_DRAIN_TIMEOUT, Consumer.DEFAULT_RECOVERY_INTERVAL,
        Duration.ofMinutes(1), Duration.ofHours(1), null, Clock.systemUTC()),
        backend, job -> {}, CompositeObserver.of(List.of()), List.of());
    consumer.start();
    await().atMost(PATIENCE).until(() -> workerThreads("idle").stream()
        .filter(thread -> thread.getState() == Thread.State.WAITING
            || thread.getState() == Thread.State.TIMED_WAITING)
        .count() == 8);

    assertThat(CompletableFuture.runAsync(consumer::close)).succeedsWithin(PATIENCE);
    assertThat(workerThreads("idle")).isEmpty();
  }

  private static List<Thread> workerThreads(String consumerName) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().startsWith("workqueue-" + consumerName + "-worker-"))
        .toList();
  }

  /**
   * A host that stops consuming when the breaker opens closes the consumer from the observer,
   * on the worker whose failure opened it. That close must neither wait for its own thread nor
   * drop the failed job's dead letter, which the worker hands over after the observer returns.
   */
  @Test
  void closingFromAnObserverOnAWorkerReturnsAtOnceAndKeepsTheOutcome() {
    AtomicReference<Consumer> self = new AtomicReference<>();
    AtomicReference<Duration> closeTook = new AtomicReference<>();
    Consumer consumer = consumer(job -> {
          throw new IllegalStateException("downstream is down");
        })
        .drainTimeout(Duration.ofMinutes(1)).retryPolicy(RetryPolicy.noRetries())
        .circuitBreaker(CircuitBreakerConfig.builder().minimumSamples(1).build())
        .observer(new QueueObserver() {
          @Override
          public void onCircuitBreakerStateChanged(CircuitBreakerStateChangedEvent event) {
            if (event.current() == CircuitBreakerState.OPEN) {
              long start = System.nanoTime();
              self.get().close();
              closeTook.set(Duration.ofNanos(System.nanoTime() - start));
            }
          }
        })
        .build();
    self.set(consumer);
    consumer.start();
    producer.enqueue("fails");

    await().atMost(PATIENCE).until(() -> consumer.state() == ConsumerState.STOPPED);
    assertThat(closeTook.get()).isLessThan(Duration.ofSeconds(10));
    QueueStats stats = backend.stats(Producer.DEFAULT_QUEUE);
    assertThat(stats.dead()).isEqualTo(1);
    assertThat(stats.inFlight()).isZero();
    consumer.close(); // from outside now: returns at once, already stopped
  }

  /** An observer told that the consumer drains may call close() again, on the closing thread. */
  @Test
  void closingAgainFromAnObserverOfTheShutdownDoesNotWaitForItself() {
    AtomicReference<Consumer> self = new AtomicReference<>();
    Consumer consumer = consumer(job -> {}).observer(new QueueObserver() {
      @Override
      public void onConsumerStateChanged(ConsumerStateChangedEvent event) {
        if (event.current() == ConsumerState.DRAINING) {
          self.get().close();
        }
      }
    }).build();
    self.set(consumer);
    consumer.start();

    CompletableFuture<Void> closed = CompletableFuture.runAsync(consumer::close);

    await().atMost(PATIENCE).until(closed::isDone);
    assertThat(consumer.state()).isEqualTo(ConsumerState.STOPPED);
  }

  @Test
  void closingFromAnInterruptedThreadStillDrainsAndKeepsTheInterrupt() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    AtomicBoolean handlerInterrupted = new AtomicBoolean();
    Consumer consumer = consumer(job -> {
          started.countDown();
          try {
            Thread.sleep(300);
          } catch (InterruptedException e) {
            handlerInterrupted.set(true);
            throw e;
          }
        })
        .drainTimeout(Duration.ofMinutes(1)).build();
    producer.enqueue("takes 300 ms");
    consumer.start();
    started.await();

    Thread.currentThread().interrupt();
    consumer.close();

    assertThat(Thread.interrupted()).isTrue();
    assertThat(handlerInterrupted).isFalse();
    assertThat(consumer.state()).isEqualTo(ConsumerState.STOPPED);
    assertThat(backend.stats(Producer.DEFAULT_QUEUE).completed()).isEqualTo(1);
  }

  /**
   * A handler stuck in a call that ignores interrupts keeps its worker past the job timeout. The
   * job fetched ahead for that worker must not stay leased to this consumer for ever: once it has
   * waited longer than the job timeout it goes back to the queue, where another consumer takes it.
   */
  @Test
  void aJobWaitingBehindAStuckWorkerIsGivenBackForOthersToRun() {
    CountDownLatch unstuck = new CountDownLatch(1);
    producer.enqueue("hangs");
    producer.enqueue("waits behind it");
    Consumer stuck = consumer(job -> {
          while (job.payloadAsString().equals("hangs") && unstuck.getCount() > 0) {
            try {
              unstuck.await();
            } catch (InterruptedException ignored) {
              // like a blocking socket read, the call carries on
            }
          }
        })
        .name("stuck").concurrency(1).prefetch(1).jobTimeout(Duration.ofMillis(300))
        .leaseDuration(Duration.ofSeconds(1)).build();
    List<String> ranElsewhere = new CopyOnWriteArrayList<>();
    Consumer healthy = consumer(job -> ranElsewhere.add(job.payloadAsString())).name("healthy").build();
    try {
      stuck.start();
      await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).inFlight() == 2);
      healthy.start();

      await().atMost(PATIENCE).until(() -> ranElsewhere.contains("waits behind it"));
    } finally {
      unstuck.countDown();
      stuck.close();
      healthy.close();
    }
  }

  @Test
  void activeWorkersCountsRunningHandlers() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    try (Consumer consumer = consumer(job -> release.await()).concurrency(3).build()) {
      for (int i = 0; i < 5; i++) {
        producer.enqueue("j" + i);
      }
      consumer.start();
      await().atMost(PATIENCE).until(() -> consumer.activeWorkers() == 3);
      release.countDown();
      await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).pending() == 0);
      assertThat(consumer.activeWorkers()).isZero();
    }
  }

  @Test
  void openCircuitBreakerStopsFetchingUntilItsCooldownEnds() {
    AtomicInteger runs = new AtomicInteger();
    try (Consumer consumer = consumer(job -> {
          runs.incrementAndGet();
          throw new IllegalStateException("downstream is down");
        })
        .concurrency(1).prefetch(0).retryPolicy(RetryPolicy.noRetries())
        .circuitBreaker(CircuitBreakerConfig.builder().minimumSamples(3).failureRateThreshold(0.5)
            .cooldown(Duration.ofHours(1)).build())
        .build()) {
      for (int i = 0; i < 10; i++) {
        producer.enqueue("j" + i);
      }
      consumer.start();
      await().atMost(PATIENCE).until(() -> consumer.circuitBreakerState() == CircuitBreakerState.OPEN);
      int runsWhenOpened = runs.get();
      await().pollDelay(Duration.ofMillis(500)).atMost(PATIENCE).until(() -> true);
      assertThat(runs.get()).isEqualTo(runsWhenOpened).isLessThan(10);
      assertThat(backend.stats(Producer.DEFAULT_QUEUE).totalWaiting()).isEqualTo(10 - runsWhenOpened);
    }
  }

  /**
   * A half-open breaker grants one probe. When the probe job is dead-lettered without running, no
   * outcome reaches the breaker; unless the probe is given back, the consumer never fetches again.
   */
  @Test
  void aProbeJobDeadLetteredWithoutRunningLetsTheBreakerProbeAgain() throws InterruptedException {
    MutableClock clock = new MutableClock(Instant.now());
    List<String> ran = new CopyOnWriteArrayList<>();
    try (Consumer consumer = consumer(job -> {
          ran.add(job.payloadAsString());
          if (job.payloadAsString().equals("fails")) {
            throw new IllegalStateException("downstream is down");
          }
        })
        .concurrency(1).prefetch(0).retryPolicy(RetryPolicy.noRetries()).clock(clock)
        .circuitBreaker(CircuitBreakerConfig.builder().minimumSamples(1).failureRateThreshold(0.5)
            .cooldown(Duration.ofMinutes(1)).build())
        .build()) {
      consumer.start();
      producer.enqueue("fails");
      await().atMost(PATIENCE).until(() -> consumer.circuitBreakerState() == CircuitBreakerState.OPEN);
      // Next in line: a job whose consumer died holding it, now over its single attempt.
      producer.enqueue(NewJob.builder("over its attempts").maxAttempts(1).build());
      backend.fetch(new dev.workqueue.spi.FetchRequest("dead-consumer", Producer.DEFAULT_QUEUE,
          List.of(Producer.DEFAULT_PRIORITY), 1, Duration.ofMillis(100), Duration.ZERO));
      await().atMost(PATIENCE).until(() -> !backend.recoverExpired(Producer.DEFAULT_QUEUE, 10).isEmpty());
      producer.enqueue("works");

      clock.advance(Duration.ofMinutes(2));

      await().atMost(PATIENCE).until(() -> ran.contains("works"));
      await().atMost(PATIENCE).until(() -> consumer.circuitBreakerState() == CircuitBreakerState.CLOSED);
      assertThat(ran).containsExactly("fails", "works");
      assertThat(backend.stats(Producer.DEFAULT_QUEUE).dead()).isEqualTo(2);
    }
  }

  /**
   * A job fetched before the breaker opened may run long past the cooldown (the job timeout is
   * longer). Whether it then succeeds or fails, it says nothing about the probe running beside it:
   * the breaker stays half-open, and fetches nothing more, until the probe's success closes it.
   */
  @ParameterizedTest(name = "the old job succeeds: {0}")
  @ValueSource(booleans = {true, false})
  void aJobFetchedBeforeTheBreakerOpenedLeavesTheDecisionToTheProbe(boolean oldJobSucceeds) {
    MutableClock clock = new MutableClock(Instant.now());
    CountDownLatch oldJobMayEnd = new CountDownLatch(1);
    CountDownLatch probeMayEnd = new CountDownLatch(1);
    List<String> ran = new CopyOnWriteArrayList<>();
    List<String> transitions = new CopyOnWriteArrayList<>();
    Consumer consumer = consumer(job -> {
          String payload = job.payloadAsString();
          ran.add(payload);
          if (payload.equals("old")) {
            oldJobMayEnd.await();
            if (!oldJobSucceeds) {
              throw new IllegalStateException("downstream timed out");
            }
          } else if (payload.equals("fails")) {
            throw new IllegalStateException("downstream is down");
          } else if (payload.equals("probe")) {
            probeMayEnd.await();
            ran.add("probe done");
          }
        })
        .concurrency(3).prefetch(0).retryPolicy(RetryPolicy.noRetries()).clock(clock)
        .circuitBreaker(CircuitBreakerConfig.builder().minimumSamples(1).cooldown(Duration.ofMinutes(1))
            .build())
        .observer(recordingTransitions(transitions))
        .build();
    try {
      consumer.start();
      producer.enqueue("old");
      await().atMost(PATIENCE).until(() -> ran.contains("old"));
      producer.enqueue("fails");
      await().atMost(PATIENCE).until(() -> consumer.circuitBreakerState() == CircuitBreakerState.OPEN);
      producer.enqueueAll(List.of(NewJob.of("probe"), NewJob.of("later"), NewJob.of("later")));

      clock.advance(Duration.ofMinutes(2));
      await().atMost(PATIENCE).until(() -> ran.contains("probe"));
      oldJobMayEnd.countDown();
      // Recorded in the backend only after the consumer reported the outcome to its breaker.
      await().atMost(PATIENCE).until(() -> {
        QueueStats stats = backend.stats(Producer.DEFAULT_QUEUE);
        return stats.completed() + stats.dead() >= 2;
      });

      assertThat(consumer.circuitBreakerState()).isEqualTo(CircuitBreakerState.HALF_OPEN);
      assertThat(ran).containsExactly("old", "fails", "probe");
      probeMayEnd.countDown();
      await().atMost(PATIENCE).until(() -> ran.size() == 6);
      assertThat(ran).containsExactly("old", "fails", "probe", "probe done", "later", "later");
      assertThat(consumer.circuitBreakerState()).isEqualTo(CircuitBreakerState.CLOSED);
      assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    } finally {
      oldJobMayEnd.countDown();
      probeMayEnd.countDown();
      consumer.close();
    }
  }

  /**
   * A worker waiting on an empty queue when the breaker opens holds the closed breaker's leave to
   * fetch; a job enqueued then must go back to its lane, not run past the open breaker.
   */
  @Test
  void aJobAFetchWaitingWhenTheBreakerOpenedReturnsGoesBackUnrun() {
    MutableClock clock = new MutableClock(Instant.now());
    List<String> ran = new CopyOnWriteArrayList<>();
    CountDownLatch mayFail = new CountDownLatch(1);
    AtomicInteger waitingFetches = new AtomicInteger();
    QueueBackend watched = backendWhere(Map.of("fetch", arguments -> {
      FetchRequest request = (FetchRequest) arguments[0];
      boolean waits = !request.maxWait().isZero();
      if (waits) {
        waitingFetches.incrementAndGet();
      }
      try {
        return backend.fetch(request);
      } finally {
        if (waits) {
          waitingFetches.decrementAndGet();
        }
      }
    }));
    Consumer consumer = Consumer.builder(watched, job -> {
          ran.add(job.payloadAsString());
          if (job.payloadAsString().equals("fails")) {
            mayFail.await();
            throw new IllegalStateException("downstream is down");
          }
        })
        .concurrency(2).prefetch(0).fetchWait(Duration.ofSeconds(10))
        .retryPolicy(RetryPolicy.noRetries()).clock(clock)
        .circuitBreaker(CircuitBreakerConfig.builder().minimumSamples(1).cooldown(Duration.ofMinutes(1))
            .build())
        .build();
    try {
      consumer.start();
      producer.enqueue("fails");
      // The other worker waits on the empty queue, allowed by the still closed breaker.
      await().atMost(PATIENCE).until(() -> ran.contains("fails") && waitingFetches.get() == 1);
      mayFail.countDown();
      await().atMost(PATIENCE).until(() -> consumer.circuitBreakerState() == CircuitBreakerState.OPEN);

      producer.enqueue("later");

      await().atMost(PATIENCE).until(() -> {
        QueueStats stats = backend.stats(Producer.DEFAULT_QUEUE);
        return stats.totalWaiting() == 1 && stats.inFlight() == 0;
      });
      assertThat(ran).containsExactly("fails");
      clock.advance(Duration.ofMinutes(2));
      await().atMost(PATIENCE).until(() -> ran.contains("later"));
    } finally {
      mayFail.countDown();
      consumer.close();
    }
  }

  /**
   * A probe fetched ahead can wait behind a handler stuck in a call that ignores interrupts, until
   * the job timeout gives it back unstarted. No outcome will decide it then: unless the breaker
   * grants a new probe, the consumer stays half-open and never fetches again.
   */
  @Test
  void aProbeGivenBackUnstartedLetsTheBreakerProbeAgain() {
    MutableClock clock = new MutableClock(Instant.now());
    CountDownLatch unstuck = new CountDownLatch(1);
    List<String> ran = new CopyOnWriteArrayList<>();
    List<String> transitions = new CopyOnWriteArrayList<>();
    AtomicBoolean opened = new AtomicBoolean();
    producer.enqueueAll(List.of(NewJob.of("fails"), NewJob.of("hangs")));
    Consumer consumer = consumer(job -> {
          ran.add(job.payloadAsString());
          while (job.payloadAsString().equals("hangs") && unstuck.getCount() > 0) {
            try {
              unstuck.await();
            } catch (InterruptedException ignored) {
              // like a blocking socket read, the call carries on
            }
          }
          if (job.payloadAsString().equals("fails")) {
            throw new IllegalStateException("downstream is down");
          }
        })
        // One worker fetching ahead: the probe waits in its buffer while it runs "hangs".
        .concurrency(1).prefetch(4).jobTimeout(Duration.ofMillis(300))
        .retryPolicy(RetryPolicy.noRetries()).clock(clock)
        .circuitBreaker(CircuitBreakerConfig.builder().minimumSamples(1).cooldown(Duration.ofMinutes(1))
            .build())
        .observer(recordingTransitions(transitions))
        .observer(new QueueObserver() {
          @Override
          public void onCircuitBreakerStateChanged(CircuitBreakerStateChangedEvent event) {
            // On the worker that opened it, before it fetches ahead: the cooldown is over by then.
            if (event.current() == CircuitBreakerState.OPEN && opened.compareAndSet(false, true)) {
              producer.enqueue("probe");
              clock.advance(Duration.ofMinutes(2));
            }
          }
        })
        .build();
    try {
      consumer.start();
      await().atMost(PATIENCE).until(() -> {
        QueueStats stats = backend.stats(Producer.DEFAULT_QUEUE);
        return stats.dead() == 2 && stats.totalWaiting() == 1; // "hangs" timed out, the probe given back
      });
      assertThat(consumer.circuitBreakerState()).isEqualTo(CircuitBreakerState.HALF_OPEN);
      unstuck.countDown();

      await().atMost(PATIENCE).until(() -> consumer.circuitBreakerState() == CircuitBreakerState.CLOSED);
      assertThat(ran).containsExactly("fails", "hangs", "probe");
      assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    } finally {
      unstuck.countDown();
      consumer.close();
    }
  }

  private static QueueObserver recordingTransitions(List<String> transitions) {
    return new QueueObserver() {
      @Override
      public void onCircuitBreakerStateChanged(CircuitBreakerStateChangedEvent event) {
        transitions.add(event.previous() + "->" + event.current());
      }
    };
  }

  /**
   * A handler that outlives its lease keeps its job: the running consumer's heartbeats extend the
   * lease, so another consumer's reaper never hands the job out a second time.
   */
  @Test
  void aJobRunningPastItsLeaseIsKeptByHeartbeatsAndRunsOnce() throws InterruptedException {
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch succeeded = new CountDownLatch(1);
    JobHandler slowOnce = job -> {
      runs.incrementAndGet();
      Thread.sleep(3_000); // the job's own work: three lease durations
    };
    QueueObserver success = new QueueObserver() {
      @Override
      public void onSucceeded(JobSucceededEvent event) {
        succeeded.countDown();
      }
    };
    try (Consumer slow = consumer(slowOnce).name("slow").leaseDuration(Duration.ofSeconds(1))
            .heartbeatInterval(Duration.ofMillis(100)).observer(success).build();
        Consumer reaper = consumer(slowOnce).name("reaper").recoveryInterval(Duration.ofMillis(20))
            .observer(success).build()) {
      slow.start();
      producer.enqueue("long");
      await().atMost(PATIENCE).until(() -> runs.get() == 1);
      reaper.start();

      assertThat(succeeded.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(runs).hasValue(1);
    }
  }

  /**
   * An observer called on the consumer's own threads may be slow, here one told about a recovered
   * job. The heartbeat must go on meanwhile: otherwise the lease of every running job lapses and
   * another consumer runs the job a second time.
   */
  @Test
  void aSlowObserverOfRecoveredJobsDoesNotStopTheHeartbeat() throws InterruptedException {
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch succeeded = new CountDownLatch(1);
    CountDownLatch observing = new CountDownLatch(1);
    CountDownLatch observerMayReturn = new CountDownLatch(1);
    JobHandler slowOnce = job -> {
      if (job.payloadAsString().equals("long")) {
        runs.incrementAndGet();
        Thread.sleep(3_000); // the job's own work: three lease durations
        succeeded.countDown();
      }
    };
    QueueObserver slowToRecord = new QueueObserver() {
      @Override
      public void onRecovered(JobRecoveredEvent event) {
        observing.countDown();
        try {
          observerMayReturn.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    producer.enqueue("stale");
    // A consumer that took the job and died: its lease expires, and the slow observer hears of it.
    backend.fetch(new dev.workqueue.spi.FetchRequest("dead-consumer", Producer.DEFAULT_QUEUE,
        List.of(Producer.DEFAULT_PRIORITY), 1, Duration.ofMillis(100), Duration.ZERO));
    try (Consumer slow = consumer(slowOnce).name("slow").leaseDuration(Duration.ofSeconds(1))
            .heartbeatInterval(Duration.ofMillis(100)).recoveryInterval(Duration.ofMillis(20))
            .observer(slowToRecord).build();
        Consumer reaper = consumer(slowOnce).name("reaper").recoveryInterval(Duration.ofMillis(20)).build()) {
      try {
        slow.start();
        producer.enqueue("long");
        await().atMost(PATIENCE).until(() -> runs.get() == 1 && observing.getCount() == 0);
        reaper.start();

        assertThat(succeeded.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(runs).hasValue(1);
      } finally {
        observerMayReturn.countDown();
      }
    }
  }

  /** An observer of successes that never returns holds a thread, but not close(). */
  @Test
  void closeReturnsWhileAnObserverOfSuccessesNeverDoes() throws Exception {
    CountDownLatch observing = new CountDownLatch(1);
    CountDownLatch observerMayReturn = new CountDownLatch(1);
    QueueObserver stuck = new QueueObserver() {
      @Override
      public void onSucceededBatch(List<JobSucceededEvent> events) {
        observing.countDown();
        try {
          observerMayReturn.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    Consumer consumer = consumer(job -> {}).drainTimeout(Duration.ofMillis(100)).observer(stuck).build();
    try {
      consumer.start();
      producer.enqueue("once");
      assertThat(observing.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> closing = CompletableFuture.runAsync(consumer::close);
      assertThat(closing).succeedsWithin(PATIENCE);
      assertThat(consumer.state()).isEqualTo(ConsumerState.STOPPED);
    } finally {
      observerMayReturn.countDown();
    }
    assertThat(backend.stats(Producer.DEFAULT_QUEUE).completed()).isEqualTo(1);
  }

  /**
   * A slow observer of successes, when the settler called it before writing the outcomes, held
   * finished jobs whose leases nobody extended any more: past the lease, another consumer
   * recovered and ran them again. Whichever thread calls it now, the job runs once.
   */
  @Test
  void aSlowObserverOfSucceededJobsDoesNotLetTheirLeasesLapse() throws InterruptedException {
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch observing = new CountDownLatch(1);
    CountDownLatch observerMayReturn = new CountDownLatch(1);
    JobHandler counting = job -> runs.incrementAndGet();
    QueueObserver slowToRecord = new QueueObserver() {
      @Override
      public void onSucceeded(JobSucceededEvent event) {
        observing.countDown();
        try {
          observerMayReturn.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    try (Consumer slow = consumer(counting).name("slow").leaseDuration(Duration.ofSeconds(1))
            .heartbeatInterval(Duration.ofMillis(100)).observer(slowToRecord).build();
        Consumer reaper = consumer(counting).name("reaper").recoveryInterval(Duration.ofMillis(20)).build()) {
      try {
        slow.start();
        producer.enqueue("once");
        assertThat(observing.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        reaper.start();
        // Not a timing assertion: three lease durations in which the reaper would recover the job.
        Thread.sleep(3_000);
      } finally {
        observerMayReturn.countDown();
      }
      await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).completed() == 1);
    }
    assertThat(runs).hasValue(1);
  }

  /** The retry waits out its backoff on the backend's clock: it is not run again before. */
  @Test
  void aFailedAttemptIsRetriedAfterItsBackoffOnTheBackendsClock() throws InterruptedException {
    MutableClock time = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    try (InMemoryQueueBackend timed = InMemoryQueueBackend.builder().clock(time).build();
        Consumer consumer = Consumer.builder(timed, job -> {
              attempts.add(job.attempt());
              if (job.attempt() == 1) {
                throw new IllegalStateException("first attempt fails");
              }
            })
            .fetchWait(Duration.ofMillis(100))
            .retryPolicy(RetryPolicy.builder().initialBackoff(Duration.ofHours(1))
                .maxBackoff(Duration.ofHours(1)).jitter(0).build())
            .build()) {
      Producer.builder(timed).build().enqueue("once more");
      consumer.start();
      await().atMost(PATIENCE).until(() -> timed.peekDelayed(Producer.DEFAULT_QUEUE, 10).size() == 1);

      assertThat(timed.peekDelayed(Producer.DEFAULT_QUEUE, 10).get(0).runAt())
          .isEqualTo(time.instant().plus(Duration.ofHours(1)));
      assertThat(attempts).containsExactly(1);

      time.advance(Duration.ofHours(1));
      await().atMost(PATIENCE).until(() -> attempts.size() == 2);
      assertThat(attempts).containsExactly(1, 2);
    }
  }

  /** Weighted mode serves a lower lane while a higher one still has jobs waiting; strict would not. */
  @Test
  void weightedModeServesTheLowLaneWhileTheHighLaneIsStillFull() {
    List<String> ran = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 200; i++) {
      producer.enqueueAll(List.of(NewJob.builder("high").priority("high").build(),
          NewJob.builder("low").priority("low").build()));
    }
    try (Consumer consumer = consumer(job -> ran.add(job.payloadAsString())).priorities("high", "low")
        .priorityMode(PriorityMode.weighted(Map.of("high", 3, "low", 1)))
        .concurrency(1).prefetch(0).fetchBatchSize(1).build()) {
      consumer.start();
      await().atMost(PATIENCE).until(() -> ran.size() >= 100);
    }

    // A low job has a one-in-four chance per fetch: none in 100 fetches would happen once in 1e12.
    assertThat(ran.subList(0, 100)).contains("low", "high");
  }

  @Test
  void jobsOverTheirOwnMaxAttemptsAfterLostLeasesAreDeadLetteredWithoutRunning() throws InterruptedException {
    List<JobDeadLetteredEvent> dead = new CopyOnWriteArrayList<>();
    AtomicInteger runs = new AtomicInteger();
    producer.enqueue(NewJob.builder("once").maxAttempts(1).build());
    // A consumer that takes the job and dies: its lease expires and the reaper returns the job.
    backend.fetch(new dev.workqueue.spi.FetchRequest("dead-consumer", Producer.DEFAULT_QUEUE,
        List.of(Producer.DEFAULT_PRIORITY), 1, Duration.ofMillis(100), Duration.ZERO));
    await().atMost(PATIENCE).until(() -> !backend.recoverExpired(Producer.DEFAULT_QUEUE, 10).isEmpty());

    try (Consumer second = consumer(job -> runs.incrementAndGet()).observer(new QueueObserver() {
      @Override
      public void onDeadLettered(JobDeadLetteredEvent event) {
        dead.add(event);
      }
    }).build()) {
      second.start();
      await().atMost(PATIENCE).until(() -> dead.size() == 1);
    }
    assertThat(runs.get()).isZero();
    assertThat(dead.get(0).error().type()).isEqualTo("max-attempts-exceeded");
  }

  @Test
  void interceptorsWrapTheHandlerOutermostFirst() {
    List<String> calls = new CopyOnWriteArrayList<>();
    JobInterceptor outer = new JobInterceptor() {
      @Override
      public void aroundHandle(Job job, HandleChain chain) throws Exception {
        calls.add("outer-before");
        chain.proceed(job);
        calls.add("outer-after");
      }
    };
    JobInterceptor inner = new JobInterceptor() {
      @Override
      public void aroundHandle(Job job, HandleChain chain) throws Exception {
        calls.add("inner-before");
        chain.proceed(job);
        calls.add("inner-after");
      }
    };
    try (Consumer consumer = consumer(job -> calls.add("handler")).interceptor(outer).interceptor(inner).build()) {
      producer.enqueue("a");
      consumer.start();
      await().atMost(PATIENCE).until(() -> calls.size() == 5);
    }
    assertThat(calls).containsExactly("outer-before", "inner-before", "handler", "inner-after", "outer-after");
  }

  @Test
  void handlerAndLibraryLogLinesCarryJobIdQueueAndAttempt() {
    List<String> handlerContext = new CopyOnWriteArrayList<>();
    ListAppender<ILoggingEvent> captured = captureEngineLog();
    try (Consumer consumer = consumer(job -> handlerContext.add(org.slf4j.MDC.get("job_id") + "/"
        + org.slf4j.MDC.get("queue") + "/" + org.slf4j.MDC.get("attempt"))).build()) {
      String id = producer.enqueue("a").jobId();
      consumer.start();
      await().atMost(PATIENCE).until(() -> !handlerContext.isEmpty());

      assertThat(handlerContext).containsExactly(id + "/default/1");
      assertThat(captured.list).filteredOn(line -> line.getFormattedMessage().startsWith("running job"))
          .singleElement()
          .satisfies(line -> assertThat(line.getMDCPropertyMap())
              .containsEntry("job_id", id).containsEntry("queue", "default").containsEntry("attempt", "1"));
    } finally {
      engineLog().detachAppender(captured);
    }
    assertThat(org.slf4j.MDC.get("job_id")).isNull();
  }

  @Test
  void aJobsTraceparentPutsTheProducersTraceAndSpanIdsInTheMdcOfItsHandlerAndItsRetryWarning() {
    List<String> handlerContext = new CopyOnWriteArrayList<>();
    ListAppender<ILoggingEvent> captured = captureEngineLog();
    try (Consumer consumer = consumer(job -> {
          handlerContext.add(traceKeysInMdc());
          if (job.attempt() == 1) {
            throw new IllegalStateException("first attempt fails");
          }
        }).retryPolicy(RetryPolicy.builder().initialBackoff(Duration.ofMillis(10)).jitter(0).build())
        .build()) {
      String id = producer.enqueue(traced("a", TRACEPARENT)).jobId();
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).completed() == 1);

      assertThat(handlerContext).containsExactly(TRACE_ID + "/" + SPAN_ID, TRACE_ID + "/" + SPAN_ID);
      assertThat(captured.list).filteredOn(line -> line.getLevel() == Level.WARN).singleElement()
          .satisfies(line -> assertThat(line.getMDCPropertyMap()).containsEntry("job_id", id)
              .containsEntry("trace_id", TRACE_ID).containsEntry("span_id", SPAN_ID));
    } finally {
      engineLog().detachAppender(captured);
    }
  }

  @Test
  void aJobWithoutOrWithAMalformedTraceparentSucceedsWithNoTraceIdsInTheMdc() {
    List<String> handlerContext = new CopyOnWriteArrayList<>();
    ListAppender<ILoggingEvent> captured = captureEngineLog();
    try (Consumer consumer = consumer(job -> handlerContext.add(traceKeysInMdc())).build()) {
      producer.enqueue("untraced");
      producer.enqueue(traced("malformed", "00-not-a-trace-01"));
      producer.enqueue(traced("upper case", TRACEPARENT.toUpperCase(Locale.ROOT)));
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).completed() == 3);

      assertThat(handlerContext).containsExactly("null/null", "null/null", "null/null");
      assertThat(backend.stats(Producer.DEFAULT_QUEUE).dead()).isZero();
      assertThat(captured.list).filteredOn(line -> line.getFormattedMessage().startsWith("running job"))
          .hasSize(3).allSatisfy(line -> assertThat(line.getMDCPropertyMap())
              .containsKey("job_id").doesNotContainKeys("trace_id", "span_id"));
    } finally {
      engineLog().detachAppender(captured);
    }
  }

  /** The reaper's line about a job it recovered carried no ids but the ones in its text. */
  @Test
  void aLineLoggedAboutAJobOutsideItsRunCarriesItsIdsToo() throws InterruptedException {
    ListAppender<ILoggingEvent> captured = captureEngineLog();
    String id = producer.enqueue(traced("crashed", TRACEPARENT)).jobId();
    // Taken by a consumer that died: its lease runs out and a reaper recovers the job.
    backend.fetch(new FetchRequest("gone", Producer.DEFAULT_QUEUE, List.of(Producer.DEFAULT_PRIORITY), 1,
        Duration.ofMillis(100), Duration.ZERO));
    try (Consumer consumer = consumer(job -> { }).recoveryInterval(Duration.ofMillis(100)).build()) {
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).completed() == 1);

      assertThat(captured.list).filteredOn(line -> line.getFormattedMessage().startsWith("recovered job"))
          .singleElement().satisfies(line -> assertThat(line.getMDCPropertyMap()).containsEntry("job_id", id)
              .containsEntry("queue", Producer.DEFAULT_QUEUE).containsEntry("attempt", "1")
              .containsEntry("trace_id", TRACE_ID).containsEntry("span_id", SPAN_ID));
    } finally {
      engineLog().detachAppender(captured);
    }
  }

  @Test
  void traceIdsLeaveTheMdcWithTheirJobAlsoWhenItsHandlerThrows() {
    List<String> handlerContext = new CopyOnWriteArrayList<>();
    ListAppender<ILoggingEvent> captured = captureEngineLog();
    // One worker: the job after the failed one runs on the same thread, with the same MDC.
    try (Consumer consumer = consumer(job -> {
          handlerContext.add(traceKeysInMdc());
          if (job.traceParent() != null) {
            throw new IllegalStateException("traced job fails");
          }
        }).concurrency(1).retryPolicy(RetryPolicy.noRetries()).build()) {
      String id = producer.enqueue(traced("traced", TRACEPARENT)).jobId();
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).dead() == 1);
      producer.enqueue("next");
      await().atMost(PATIENCE).until(() -> backend.stats(Producer.DEFAULT_QUEUE).completed() == 1);

      assertThat(handlerContext).containsExactly(TRACE_ID + "/" + SPAN_ID, "null/null");
      assertThat(captured.list).filteredOn(line -> line.getLevel() == Level.ERROR).singleElement()
          .satisfies(line -> assertThat(line.getMDCPropertyMap()).containsEntry("job_id", id)
              .containsEntry("trace_id", TRACE_ID).containsEntry("span_id", SPAN_ID));
    } finally {
      engineLog().detachAppender(captured);
    }
  }

  private static NewJob traced(String payload, String traceParent) {
    return NewJob.builder(payload).header(Job.TRACEPARENT_HEADER, traceParent).build();
  }

  /** The MDC's trace and span ids on the calling thread, as "trace/span" ("null" for a missing one). */
  private static String traceKeysInMdc() {
    return org.slf4j.MDC.get("trace_id") + "/" + org.slf4j.MDC.get("span_id");
  }

  @Test
  void aPermanentBackendErrorIsLoggedOncePerIntervalNotOnEveryRetry() {
    AtomicInteger failedFetches = new AtomicInteger();
    QueueBackend refusing = backendWhere("fetch", arguments -> {
      failedFetches.incrementAndGet();
      throw new QueueException("WRONGPASS invalid username-password pair");
    });
    ListAppender<ILoggingEvent> captured = captureEngineLog();
    try (Consumer consumer =
        Consumer.builder(refusing, job -> {}).fetchWait(Duration.ofMillis(100)).build()) {
      consumer.start();
      // Retries back off from 100 ms: five take 1.5 s, well inside the 10 s between lines.
      await().atMost(PATIENCE).until(() -> failedFetches.get() >= 5);
    } finally {
      engineLog().detachAppender(captured);
    }

    List<ILoggingEvent> errors =
        captured.list.stream().filter(line -> line.getLevel() == Level.ERROR).toList();
    assertThat(errors).isNotEmpty().hasSizeLessThan(failedFetches.get());
    assertThat(errors.get(0).getFormattedMessage())
        .endsWith("failed to fetch; retrying (this error is logged at most every 10 s)");
    assertThat(errors.get(0).getThrowableProxy().getMessage())
        .isEqualTo("WRONGPASS invalid username-password pair");
  }

  /**
   * Finished jobs keep their leases until the settler writes their outcomes. While the backend
   * takes none, workers stop after a bounded number of jobs instead of running the whole queue and
   * piling up outcomes and leases without limit; once it takes them, the rest run.
   */
  @Test
  @SuppressWarnings("unchecked")
  void workersStopTakingJobsWhileTooManyOutcomesWaitForTheSettler() throws InterruptedException {
    CountDownLatch settlingMayResume = new CountDownLatch(1);
    QueueBackend stalled = backendWhere("settle", arguments -> {
      settlingMayResume.await();
      return backend.settle((List<Settlement>) arguments[0]);
    });
    int jobs = 5 * DefaultConsumer.MAX_UNSETTLED;
    List<NewJob> queued = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      queued.add(NewJob.of("job " + i));
    }
    producer.enqueueAll(queued);
    AtomicInteger runs = new AtomicInteger();
    try (Consumer consumer = Consumer.builder(stalled, job -> runs.incrementAndGet())
        .fetchWait(Duration.ofMillis(100)).build()) {
      consumer.start();
      try {
        await().atMost(PATIENCE).until(() -> runs.get() > DefaultConsumer.MAX_UNSETTLED);
        // Not a timing assertion: ample time for the workers to run the whole queue if unbounded.
        Thread.sleep(1_000);
        // The settler's stalled batch (a fraction of the bound), the bound, one job per worker.
        assertThat(runs.get()).isLessThan(2 * DefaultConsumer.MAX_UNSETTLED);
      } finally {
        settlingMayResume.countDown();
      }
      // Every job ran and every outcome was written: no lease is left.
      await().atMost(PATIENCE)
          .until(() -> runs.get() == jobs && backend.stats(Producer.DEFAULT_QUEUE).inFlight() == 0);
    }
    assertThat(runs).hasValue(jobs);
  }

  @Test
  void settlementsTheBackendCannotTakeAreGivenUpWhenTheDrainTimeoutEndsAndTheConsumerDoesNotDeregister() {
    AtomicBoolean closing = new AtomicBoolean();
    List<Object[]> heartbeatsWhileClosing = new CopyOnWriteArrayList<>();
    QueueBackend unreachableOnClose = backendWhere(Map.of(
        "settle", arguments -> {
          throw new BackendUnavailableException("redis unavailable during settle", null);
        },
        "heartbeat", arguments -> {
          if (closing.get()) {
            heartbeatsWhileClosing.add(arguments);
          }
          return backend.heartbeat((String) arguments[0], (String) arguments[1], (List<Lease>) arguments[2],
              (Duration) arguments[3], (Duration) arguments[4]);
        }));
    ListAppender<ILoggingEvent> captured = captureEngineLog();
    CountDownLatch ran = new CountDownLatch(1);
    try {
      Consumer consumer = Consumer.builder(unreachableOnClose, job -> ran.countDown())
          .fetchWait(Duration.ofMillis(100)).drainTimeout(Duration.ofMillis(500)).build();
      producer.enqueue("done, never recorded");
      consumer.start();
      await().atMost(PATIENCE).until(() -> ran.getCount() == 0);
      closing.set(true);
      consumer.close();
    } finally {
      engineLog().detachAppender(captured);
    }

    assertThat(captured.list).filteredOn(line -> line.getLevel() == Level.ERROR).singleElement()
        .satisfies(line -> assertThat(line.getFormattedMessage()).isEqualTo("could not record the outcome "
            + "of 1 jobs before the drain timeout of PT0.5S ended; their leases will expire and they will "
            + "be delivered again"));
    // Deregistering is one more call to a backend known not to answer.
    assertThat(heartbeatsWhileClosing).noneMatch(arguments -> Duration.ZERO.equals(arguments[4]));
  }

  @Test
  void aConsumerSaysOnceThatItFetchesAgainAfterAnOutage() {
    AtomicInteger fetches = new AtomicInteger();
    QueueBackend flaky = backendWhere("fetch", arguments -> {
      if (fetches.incrementAndGet() <= 3) {
        throw new BackendUnavailableException("redis unavailable during fetch", null);
      }
      return backend.fetch((FetchRequest) arguments[0]);
    });
    ListAppender<ILoggingEvent> captured = captureEngineLog();
    try (Consumer consumer = Consumer.builder(flaky, job -> {}).fetchWait(Duration.ofMillis(50)).build()) {
      consumer.start();
      await().atMost(PATIENCE).until(() -> fetches.get() >= 6);
    } finally {
      engineLog().detachAppender(captured);
    }

    assertThat(captured.list).filteredOn(line -> line.getLevel() == Level.WARN).isNotEmpty();
    assertThat(captured.list)
        .filteredOn(line -> line.getFormattedMessage().endsWith("fetches from the backend again")).hasSize(1);
  }

  @Test
  void aLostLeaseIsReportedOncePerAttemptNotAtEveryHeartbeat() {
    AtomicInteger heartbeats = new AtomicInteger();
    QueueBackend losing = backendWhere("heartbeat", arguments -> {
      heartbeats.incrementAndGet();
      return Set.of(); // every lease it is asked to extend is gone
    });
    ListAppender<ILoggingEvent> captured = captureEngineLog();
    JobHandler runsThroughSixHeartbeats = job -> await().atMost(PATIENCE).until(() -> heartbeats.get() >= 6);
    try (Consumer consumer = Consumer.builder(losing, runsThroughSixHeartbeats)
        .fetchWait(Duration.ofMillis(100)).leaseDuration(Duration.ofMillis(300))
        .heartbeatInterval(Duration.ofMillis(50)).build()) {
      producer.enqueue("long");
      consumer.start();
      await().atMost(PATIENCE).until(() -> heartbeats.get() >= 6);
    } finally {
      engineLog().detachAppender(captured);
    }

    assertThat(captured.list).filteredOn(line -> line.getFormattedMessage().startsWith("lease on job"))
        .hasSize(1);
  }

  /** The test's backend, except for the named methods, which run {@code overrides}' functions. */
  private QueueBackend backendWhere(Map<String, ThrowingFunction> overrides) {
    return (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(),
        new Class<?>[] {QueueBackend.class}, (proxy, method, arguments) -> {
          ThrowingFunction override = overrides.get(method.getName());
          if (override != null) {
            return override.apply(arguments);
          }
          try {
            return method.invoke(backend, arguments);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private QueueBackend backendWhere(String method, ThrowingFunction override) {
    return backendWhere(Map.of(method, override));
  }

  @FunctionalInterface
  private interface ThrowingFunction {
    Object apply(Object[] arguments) throws Throwable;
  }

  private static ch.qos.logback.classic.Logger engineLog() {
    return (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(DefaultConsumer.class);
  }

  /** Captures what the consumer engine logs from now on, with each line's MDC as it was logged. */
  private static ListAppender<ILoggingEvent> captureEngineLog() {
    ListAppender<ILoggingEvent> captured = new ListAppender<>() {
      @Override
      protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing(); // snapshot the MDC on the logging thread
        super.append(event);
      }
    };
    captured.start();
    engineLog().addAppender(captured);
    return captured;
  }
}
