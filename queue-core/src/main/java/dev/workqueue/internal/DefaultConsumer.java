package dev.workqueue.internal;

import dev.workqueue.AttemptAbandonedException;
import dev.workqueue.BackendClosedException;
import dev.workqueue.BackendUnavailableException;
import dev.workqueue.CircuitBreaker;
import dev.workqueue.CircuitBreakerConfig;
import dev.workqueue.CircuitBreakerState;
import dev.workqueue.Consumer;
import dev.workqueue.ConsumerState;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.JobHandler;
import dev.workqueue.PriorityMode;
import dev.workqueue.RetryPolicy;
import dev.workqueue.UnrecoverableJobException;
import dev.workqueue.event.CircuitBreakerStateChangedEvent;
import dev.workqueue.event.ConsumerStateChangedEvent;
import dev.workqueue.event.JobDeadLetteredEvent;
import dev.workqueue.event.JobFailedEvent;
import dev.workqueue.event.JobRecoveredEvent;
import dev.workqueue.event.JobRetriedEvent;
import dev.workqueue.event.JobStartedEvent;
import dev.workqueue.event.JobsFetchedEvent;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.FetchResult;
import dev.workqueue.spi.JobInterceptor;
import dev.workqueue.spi.Lease;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.PoisonedEntry;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.Settlement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The consumer engine. Worker threads take turns as the fetcher, taking as many jobs as there
 * are free slots (workers plus prefetch, up to the batch size) per backend call, and run the
 * handler; a settler thread writes outcomes
 * back in batches and queues their success events, which workers publish between jobs; a
 * heartbeat thread extends leases; a maintenance thread recovers expired ones and enforces job
 * timeouts.
 */
public final class DefaultConsumer implements Consumer {
  private static final Logger log = LoggerFactory.getLogger(DefaultConsumer.class);
  private static final int SETTLE_BATCH = 512;
  /** How long a busy settler lets outcomes gather before it looks again. */
  private static final long SETTLE_LINGER_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
  /**
   * Most outcomes waiting for the settler before workers stop taking jobs: sixteen full batches.
   * The operating system may leave the settler without CPU for a time slice of a few
   * milliseconds, in which busy workers finish thousands of short jobs; a bound of two batches
   * blocked them at each such gap and cost a fifth of the in-memory no-op throughput on two cores.
   */
  public static final int MAX_UNSETTLED = 16 * SETTLE_BATCH;
  /**
   * Most success batches waiting for their observer call before workers wait their turn to publish
   * instead of running jobs. Not the settler: held by a publisher that the operating system
   * preempted, it would hold up every outcome.
   */
  private static final int MAX_UNPUBLISHED_BATCHES = 16;
  /**
   * How long the settler waits for an outcome before it publishes waiting success batches itself:
   * a moment without outcomes may only be a gap between busy workers' jobs, time the settler needs.
   */
  private static final long IDLE_PUBLISH_AFTER_MILLIS = 1;
  private static final int RECOVER_BATCH = 1_000;
  private static final Duration INITIAL_RETRY_PAUSE = Duration.ofMillis(100);
  private static final Duration MAX_RETRY_PAUSE = Duration.ofSeconds(5);
  /** How long an idle worker waits for work before looking for a fetcher turn again. */
  public static final Duration IDLE_POLL = Duration.ofMillis(500);
  /** Tells an idle worker that the fetcher role is free. */
  private static final InFlight TAKE_TURN = new InFlight(null, 0, null);

  /**
   * Validated consumer settings, as the builder produced them; {@code idlePoll} is
   * {@link #IDLE_POLL} except in tests that must tell a prompt wake-up from a waited-out poll.
   */
  public record Settings(String name, String queue, List<String> priorities, PriorityMode priorityMode,
      int concurrency, int prefetch, int fetchBatchSize, RetryPolicy retryPolicy, Duration jobTimeout,
      Duration leaseDuration, Duration heartbeatInterval, Duration drainTimeout,
      Duration recoveryInterval, Duration fetchWait, Duration idlePoll, CircuitBreakerConfig circuitBreaker,
      Clock clock) {}

  private final Settings settings;
  private final QueueBackend backend;
  private final CompositeObserver observer;
  private final JobHandler handler;
  private final List<JobInterceptor> interceptors;
  private final String id;
  private final PrioritySelector selector;
  private final CircuitBreaker breaker;
  private final Clock clock;

  private final AtomicReference<ConsumerState> state = new AtomicReference<>(ConsumerState.NEW);
  /** Held while {@link #start()} starts the threads, so that a racing close() waits for them. */
  private final Object lifecycle = new Object();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);
  /** Jobs this consumer may still take: running plus prefetched ones stay within the cap. */
  private final AtomicInteger freeSlots;
  /** Below this many prefetched jobs, a worker fetches ahead before running the next one. */
  private final int refillThreshold;
  /** Fetched jobs waiting for a worker, and {@link #TAKE_TURN} markers. */
  private final LinkedBlockingQueue<InFlight> buffer = new LinkedBlockingQueue<>();
  /** Held by the one worker that is fetching. */
  private final AtomicBoolean fetcherTurn = new AtomicBoolean();
  private final Object fetchingThreadLock = new Object();
  private Thread fetchingThread;
  private Duration fetchPause = INITIAL_RETRY_PAUSE;
  private final ConcurrentHashMap<String, InFlight> inFlight = new ConcurrentHashMap<>();
  private final AtomicInteger active = new AtomicInteger();
  private final LinkedBlockingQueue<Pending> settlements = new LinkedBlockingQueue<>();
  /** Workers wait on it while too many outcomes are unwritten; the settler wakes them. */
  private final Object settlerRoom = new Object();
  /** Workers waiting on {@link #settlerRoom}; changed only while holding it. */
  private volatile int waitingForRoom;
  private final List<Thread> workers = new ArrayList<>();
  private final ScheduledExecutorService maintenance;
  /**
   * Extends leases on a thread of its own: maintenance calls observers, and one that is slow
   * must not let the leases of running jobs lapse.
   */
  private final ScheduledExecutorService heartbeats;
  private volatile Thread maintenanceThread;
  /** The thread running the shutdown; an observer it calls may call close() again. */
  private volatile Thread stoppingThread;
  private final Thread settler;
  private final RateLimitedWarning backendWarning = new RateLimitedWarning(Duration.ofSeconds(10));
  // A permanent error (a refused password or certificate) recurs on every retry until someone
  // fixes the configuration: one line with its stack trace per interval says as much.
  private final RateLimitedWarning backendError = new RateLimitedWarning(Duration.ofSeconds(10));
  /** Set while fetches fail, so that their recovery is logged as well as their failure. */
  private final AtomicBoolean fetchFailing = new AtomicBoolean();
  private final AtomicBoolean backendClosedReported = new AtomicBoolean();
  private volatile boolean fetching = true;
  private volatile boolean settling = true;
  /** Whether the last heartbeat reached the backend; a stopping consumer deregisters only then. */
  private volatile boolean heartbeatReached;
  /** When a drain started by close() ends: System.nanoTime() plus the drain timeout. */
  private volatile long closeDeadlineNanos;
  /** The settler gave outcomes up at close(): the backend is unreachable, so do not deregister. */
  private volatile boolean settleAbandoned;
  /** The settlements the settler is writing, published whole for the heartbeat; never modified. */
  private volatile List<Settlement> applying = List.of();
  /**
   * Success batches waiting for their observer call, oldest first. The settler queues each and
   * writes it out; then it publishes them itself, unless its batch was half full or more, in which
   * case workers publish them between jobs. The settler is the one thread every outcome
   * passes through, and with busy workers on every core the operating system gives it no more
   * than its share of the CPU: while it sets the pace, work taken off it is throughput gained,
   * where the same work on a worker is not; while it keeps up, the workers set the pace instead.
   */
  private final ConcurrentLinkedQueue<SucceededEvents> unpublishedSuccesses =
      new ConcurrentLinkedQueue<>();
  /** At least the batches {@link #unpublishedSuccesses} holds; read by every worker between jobs. */
  private final AtomicInteger unpublishedBatches = new AtomicInteger();
  /** Held while publishing: observers get success batches one call at a time, in order. */
  private final ReentrantLock publishingSuccesses = new ReentrantLock();
  /** Whether the settler's last batch was large: outcomes arrive faster than it writes them. */
  private volatile boolean settlerBehind;

  public DefaultConsumer(Settings settings, QueueBackend backend, JobHandler handler,
      CompositeObserver observer, List<JobInterceptor> interceptors) {
    this.settings = settings;
    this.backend = backend;
    this.observer = observer;
    this.clock = settings.clock();
    this.id = settings.name() + "-" + UUID.randomUUID().toString().substring(0, 8);
    this.selector = new PrioritySelector(settings.priorities(), settings.priorityMode());
    this.breaker = settings.circuitBreaker() == null ? null
        : CircuitBreaker.create(settings.circuitBreaker(), clock, this::breakerChanged);
    this.handler = handler;
    this.interceptors = List.copyOf(interceptors);
    this.freeSlots = new AtomicInteger(settings.concurrency() + settings.prefetch());
    this.refillThreshold = Math.max(1, Math.min(settings.fetchBatchSize(), settings.prefetch() / 2));
    NamedThreads workerThreads = NamedThreads.numbered(settings.name(), "worker");
    for (int i = 0; i < settings.concurrency(); i++) {
      workers.add(workerThreads.newThread(this::workLoop));
    }
    NamedThreads maintenanceThreads = NamedThreads.single(settings.name(), "maintenance");
    this.maintenance = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = maintenanceThreads.newThread(task);
      maintenanceThread = thread;
      return thread;
    });
    this.heartbeats = Executors.newSingleThreadScheduledExecutor(
        NamedThreads.single(settings.name(), "heartbeat"));
    this.settler = NamedThreads.single(settings.name(), "settler").newThread(this::settleLoop);
  }

  @Override
  public void start() {
    synchronized (lifecycle) {
      if (!state.compareAndSet(ConsumerState.NEW, ConsumerState.RUNNING)) {
        throw new IllegalStateException(
            "consumer " + settings.name() + " cannot start: it is " + state.get());
      }
      observer.onConsumerStateChanged(new ConsumerStateChangedEvent(settings.name(), settings.queue(),
          ConsumerState.NEW, ConsumerState.RUNNING));
      if (state.get() == ConsumerState.RUNNING) { // unless the observer closed the consumer
        startThreads();
      }
    }
  }

  private void startThreads() {
    long heartbeatMillis = settings.heartbeatInterval().toMillis();
    heartbeats.scheduleWithFixedDelay(this::heartbeat, 0, heartbeatMillis, TimeUnit.MILLISECONDS);
    long recoveryMillis = settings.recoveryInterval().toMillis();
    maintenance.scheduleWithFixedDelay(this::recoverExpired, recoveryMillis, recoveryMillis,
        TimeUnit.MILLISECONDS);
    long sweepMillis = Math.max(10, Math.min(1_000, settings.jobTimeout().toMillis() / 20));
    maintenance.scheduleWithFixedDelay(this::enforceTimeouts, sweepMillis, sweepMillis,
        TimeUnit.MILLISECONDS);
    settler.start();
    workers.forEach(Thread::start);
    log.info("consumer {} started on queue {} with priorities {} and {} workers", id,
        settings.queue(), settings.priorities(), settings.concurrency());
  }

  // ---- fetching: workers take turns as the fetcher --------------------------------------

  /**
   * What every worker thread runs. A worker with nothing to do becomes the fetcher if no other
   * worker is; it keeps one fetched job to run itself (no hand-over to another thread, so a lone
   * job starts as soon as the fetch returns) and passes the rest, and the fetcher role, to the
   * other workers through the buffer. A worker also fetches ahead, without blocking, when the
   * buffer of prefetched jobs runs low.
   */
  private void workLoop() {
    while (true) {
      if (unpublishedBatches.get() > MAX_UNPUBLISHED_BATCHES) {
        publishSuccesses(true); // observers slower than the jobs: wait to publish, take no more jobs
      } else if (settlerBehind) {
        publishSuccesses(false);
      }
      awaitSettlerRoom();
      InFlight next = buffer.poll();
      if (next == TAKE_TURN) {
        if (stopsOnMarker()) {
          return;
        }
        continue;
      }
      boolean waitedForWork = false;
      if (fetching && (next == null || buffer.size() < refillThreshold) && freeSlots.get() > 0
          && fetcherTurn.compareAndSet(false, true)) {
        waitedForWork = next == null;
        List<InFlight> fetched;
        try {
          fetched = fetchTurn(waitedForWork);
        } finally {
          fetcherTurn.set(false);
        }
        if (next == null && !fetched.isEmpty()) {
          next = fetched.remove(0);
        }
        buffer.addAll(fetched);
        if (next != null) {
          buffer.add(TAKE_TURN); // another idle worker fetches while this one runs a job
        }
      }
      if (next == null) {
        if (!fetching && buffer.isEmpty()) {
          return;
        }
        if (waitedForWork) {
          continue; // the fetch already waited on the backend: fetch again, leaving no gap
        }
        try {
          next = buffer.poll(settings.idlePoll().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          continue; // only close() interrupts, and the loop checks for that
        }
        if (next == TAKE_TURN && stopsOnMarker()) {
          return;
        }
        if (next == null || next == TAKE_TURN) {
          continue;
        }
      }
      run(next);
    }
  }

  /**
   * Holds a worker while the settler is behind. Finished jobs keep their leases until the settler
   * writes their outcomes; without this bound a settler slowed by its backend, or left without CPU
   * by busy workers, would let them and the backend's lease table grow without limit.
   */
  private void awaitSettlerRoom() {
    if (settlements.size() <= MAX_UNSETTLED) {
      return;
    }
    publishSuccesses(false); // a worker held back has the time, and the settler, behind, has none
    // Waiting, not polling: a consumer of thousands of workers would otherwise spin them all.
    synchronized (settlerRoom) {
      waitingForRoom++;
      try {
        while (settlements.size() > MAX_UNSETTLED && settling) {
          settlerRoom.wait(1_000); // the settler and close() wake it; the timeout only guards
        }
      } catch (InterruptedException e) {
        // only close() interrupts, and the work loop checks for that
      } finally {
        waitingForRoom--;
      }
    }
  }

  /**
   * Wakes workers waiting for the settler. Called after the queue shrank or settling stopped: a
   * worker counts itself as waiting before it looks at the queue, so one of the two sees the other.
   */
  private void wakeWorkersWaitingForRoom() {
    if (waitingForRoom > 0) {
      synchronized (settlerRoom) {
        settlerRoom.notifyAll();
      }
    }
  }

  /**
   * Whether a worker that just took a marker ends: once the consumer stops fetching, each marker
   * {@link #close()} adds lets one idle worker end, unless fetched jobs still wait to be run.
   */
  private boolean stopsOnMarker() {
    return !fetching && buffer.stream().allMatch(flight -> flight == TAKE_TURN);
  }

  /**
   * One turn as the fetcher: takes up to the free slots, blocking on the backend up to the fetch
   * wait only when this worker has nothing else to run. Returns the jobs to run, registered as in
   * flight; the free slots they use are already taken.
   */
  private List<InFlight> fetchTurn(boolean mayBlock) {
    int wanted = takeSlots(settings.fetchBatchSize());
    if (wanted == 0) {
      return new ArrayList<>();
    }
    CircuitBreaker.Permission permission = null;
    if (breaker != null) {
      permission = breaker.tryAcquirePermission();
      if (!permission.granted()) {
        freeSlots.addAndGet(wanted);
        if (mayBlock) {
          sleep(Duration.ofMillis(Math.min(100, settings.circuitBreaker().cooldown().toMillis())));
        }
        return new ArrayList<>();
      }
      if (permission.probe()) {
        freeSlots.addAndGet(wanted - 1);
        wanted = 1;
      }
    }
    FetchResult result;
    try {
      result = fetchInterruptibly(wanted, mayBlock ? settings.fetchWait() : Duration.ZERO);
      fetchPause = INITIAL_RETRY_PAUSE;
      fetchRecovered();
    } catch (InterruptedException e) {
      giveBack(wanted, permission);
      return new ArrayList<>();
    } catch (BackendClosedException e) {
      giveBack(wanted, permission);
      stopAfterBackendClosed(e);
      return new ArrayList<>();
    } catch (RuntimeException e) {
      giveBack(wanted, permission);
      fetchFailing.set(true);
      warnBackend("fetch", e);
      if (mayBlock) {
        sleep(fetchPause);
        fetchPause = min(fetchPause.multipliedBy(2), MAX_RETRY_PAUSE);
      }
      return new ArrayList<>();
    }
    int taken = result.jobs().size();
    freeSlots.addAndGet(wanted - taken);
    result.poisoned().forEach(this::reportPoisoned);
    if (taken > 0 && observer.observesFetched()) {
      observer.onFetched(new JobsFetchedEvent(settings.name(), settings.queue(), jobsOf(result)));
    }
    List<InFlight> runnable = new ArrayList<>(taken);
    long fetchedAt = System.nanoTime();
    // Asked once per fetch, not per job: the breaker's state is read under its lock.
    boolean breakerOpened = openedWhileFetching(permission);
    for (LeasedJob leased : result.jobs()) {
      InFlight flight = admit(leased, fetchedAt, permission, breakerOpened);
      if (flight != null) {
        runnable.add(flight);
      }
    }
    if (runnable.isEmpty()) {
      // Nothing fetched, or the probe job was settled without running (such as one over its
      // attempts): no outcome will reach the breaker, so it must grant its probe again.
      releasePermission(permission);
    }
    return runnable;
  }

  /**
   * The fetched jobs as an unmodifiable list that {@link JobsFetchedEvent} keeps without copying
   * it again: the fetching worker holds the fetcher role while it builds the event.
   */
  private static List<Job> jobsOf(FetchResult result) {
    Job[] jobs = new Job[result.jobs().size()];
    for (int i = 0; i < jobs.length; i++) {
      jobs[i] = result.jobs().get(i).job();
    }
    return List.of(jobs);
  }

  /** Fetches on this thread; {@link #close()} interrupts only while the thread is in here. */
  private FetchResult fetchInterruptibly(int wanted, Duration wait) throws InterruptedException {
    synchronized (fetchingThreadLock) {
      if (!fetching) {
        return FetchResult.empty();
      }
      fetchingThread = Thread.currentThread();
    }
    try {
      return backend.fetch(new FetchRequest(id, settings.queue(),
          selector.order(() -> ThreadLocalRandom.current().nextDouble()), wanted,
          settings.leaseDuration(), wait));
    } finally {
      synchronized (fetchingThreadLock) {
        fetchingThread = null;
        Thread.interrupted(); // an interrupt meant for the fetch must not reach a handler
      }
    }
  }

  /** Takes up to {@code most} free slots; returns how many. */
  private int takeSlots(int most) {
    while (true) {
      int free = freeSlots.get();
      int taken = Math.min(free, most);
      if (taken == 0 || freeSlots.compareAndSet(free, free - taken)) {
        return taken;
      }
    }
  }

  private void giveBack(int slotsHeld, CircuitBreaker.Permission permission) {
    freeSlots.addAndGet(slotsHeld);
    releasePermission(permission);
  }

  /** Gives a probe that will report no outcome back to the breaker; null when there is none. */
  private void releasePermission(CircuitBreaker.Permission permission) {
    if (permission != null) {
      breaker.releasePermission(permission);
    }
  }

  /**
   * Registers a fetched job as in flight, or settles it at once; null when it must not run.
   * {@code permission} is the breaker's answer to the fetch, null without a breaker; with {@code
   * breakerOpened} (see {@link #openedWhileFetching}) the job goes back to its lane.
   */
  private InFlight admit(LeasedJob leased, long fetchedAt, CircuitBreaker.Permission permission,
      boolean breakerOpened) {
    Job job = leased.job();
    if (!fetching || breakerOpened) {
      settle(new Settlement.Release(leased.lease()), job);
      freeSlots.incrementAndGet();
      return null;
    }
    int maxAttempts = maxAttempts(job);
    if (job.attempt() > maxAttempts) {
      JobError error = new JobError("max-attempts-exceeded", "delivered " + job.attempt()
          + " times, more than the " + maxAttempts + " allowed; earlier leases expired", clock.instant());
      logAbout(job, () -> log.error("job {} of queue {} exceeded its {} attempts after lost leases; "
          + "moving it to the dead-letter queue", job.id(), job.queue(), maxAttempts));
      settle(new Settlement.DeadLetter(leased.lease(), error), job);
      freeSlots.incrementAndGet();
      return null;
    }
    InFlight flight = new InFlight(leased, fetchedAt, permission);
    inFlight.put(leased.lease().token(), flight);
    return flight;
  }

  /**
   * Whether the breaker opened while a fetch it allowed when closed waited on an empty queue: the
   * jobs enqueued meanwhile go back to their lane instead of running past the open breaker.
   */
  private boolean openedWhileFetching(CircuitBreaker.Permission permission) {
    return permission != null && !permission.probe() && breaker.state() != CircuitBreakerState.CLOSED;
  }

  private void reportPoisoned(PoisonedEntry entry) {
    log.error("undecodable entry {} in queue {} was moved to the dead-letter queue: {}",
        entry.jobId(), entry.queue(), entry.reason());
    observer.onDeadLettered(new JobDeadLetteredEvent(entry.jobId(), entry.queue(), 0,
        new JobError("undecodable", entry.reason(), clock.instant())));
  }

  // ---- running --------------------------------------------------------------------------

  private void run(InFlight flight) {
    Job job = flight.leased.job();
    active.incrementAndGet();
    TraceParent trace = putJobContext(job);
    try {
      if (!fetching && flight.abandon()) {
        returnUnfinished(flight);
        return;
      }
      if (!flight.begin(Thread.currentThread(), System.nanoTime())) {
        return;
      }
      log.debug("running job {} attempt {}", job.id(), job.attempt());
      if (observer.observesStarted()) {
        observer.onStarted(new JobStartedEvent(job, settings.name()));
      }
      Throwable failure = null;
      try {
        chainAround(flight).proceed(job);
      } catch (Throwable thrown) {
        failure = thrown;
      }
      long tookNanos = System.nanoTime() - flight.startNanos;
      if (!flight.finish()) {
        return;
      }
      if (failure == null) {
        if (breaker != null) {
          breaker.onSuccess(flight.permission);
        }
        settleSuccess(flight.leased, tookNanos);
      } else {
        // An interceptor that failed around a successful handler has no plan yet.
        FailurePlan plan = flight.plan != null ? flight.plan : plan(job, failure);
        failed(flight, plan, Duration.ofNanos(tookNanos));
      }
    } finally {
      Thread.interrupted();
      removeJobContext(trace != null);
      active.decrementAndGet();
      inFlight.remove(flight.leased.lease().token());
      freeSlots.incrementAndGet();
    }
  }

  /**
   * Puts {@code job}'s ids in the MDC, which every line logged about it carries; returns the trace
   * ids of its {@code traceparent} (the producer's; an interceptor's consumer span puts its own over
   * them around the handler), or null.
   */
  private static TraceParent putJobContext(Job job) {
    MDC.put("job_id", job.id());
    MDC.put("queue", job.queue());
    MDC.put("attempt", Integer.toString(job.attempt()));
    TraceParent trace = TraceParent.parse(job.traceParent());
    if (trace != null) {
      MDC.put("trace_id", trace.traceId());
      MDC.put("span_id", trace.spanId());
    }
    return trace;
  }

  private static void removeJobContext(boolean traced) {
    MDC.remove("job_id");
    MDC.remove("queue");
    MDC.remove("attempt");
    if (traced) { // no MDC change for a job without them: some bindings copy on write
      MDC.remove("trace_id");
      MDC.remove("span_id");
    }
  }

  /** Logs a line about {@code job} from outside its run; see {@link #aboutJob}. */
  private static void logAbout(Job job, Runnable line) {
    aboutJob(job, () -> {
      line.run();
      return null;
    });
  }

  /**
   * Does what logs about {@code job} from outside its run (the fetch, the watchdog, the heartbeat,
   * the reaper, the settler) with the job's ids in the MDC, as its run's lines have them, and puts
   * the thread's own MDC back afterwards. Rare paths only: it copies the MDC.
   */
  private static <T> T aboutJob(Job job, Supplier<T> work) {
    Map<String, String> before = MDC.getCopyOfContextMap();
    putJobContext(job);
    try {
      return work.get();
    } finally {
      if (before == null) {
        MDC.clear();
      } else {
        MDC.setContextMap(before);
      }
    }
  }

  /**
   * The interceptors around the handler for one delivery. A handler failure is planned and logged
   * innermost, while every interceptor's log context (such as trace ids) is still in place.
   */
  private JobInterceptor.HandleChain chainAround(InFlight flight) {
    JobInterceptor.HandleChain chain = job -> {
      // An observer of the start or an interceptor may have held the attempt past its timeout:
      // the watchdog has planned its failure, and the handler must not run beside the retry.
      if (flight.isDone()) {
        throw abandoned(job, "before its handler started");
      }
      try {
        handler.handle(job);
      } catch (Throwable failure) {
        if (!flight.isDone()) { // a timed-out attempt was already planned by the watchdog
          flight.plan = plan(job, failure);
        }
        throw failure;
      }
      if (flight.isDone()) {
        throw abandoned(job, "before the handler returned; its result is not recorded");
      }
    };
    for (int i = interceptors.size() - 1; i >= 0; i--) {
      JobInterceptor interceptor = interceptors.get(i);
      JobInterceptor.HandleChain next = chain;
      chain = job -> interceptor.aroundHandle(job, next);
    }
    return chain;
  }

  private static AttemptAbandonedException abandoned(Job job, String when) {
    return new AttemptAbandonedException("job " + job.id() + " attempt " + job.attempt()
        + " was ended by its job timeout or a shutdown " + when);
  }

  /** What happens after a failed attempt: a retry after a backoff, or the dead-letter queue. */
  private record FailurePlan(JobError error, Duration retryDelay) {
    boolean retries() {
      return retryDelay != null;
    }
  }

  /** Decides the fate of an attempt that threw {@code failure}, as {@link #plan(Job, JobError)}. */
  private FailurePlan plan(Job job, Throwable failure) {
    JobError error = JobError.of(failure, clock.instant());
    if (!isUnrecoverable(failure)) {
      return plan(job, error);
    }
    log.error("job {} of queue {} failed attempt {}/{} with {}: {}, which rules out retries; moving it "
        + "to the dead-letter queue", job.id(), job.queue(), job.attempt(), maxAttempts(job), error.type(),
        error.message());
    return new FailurePlan(error, null);
  }

  /** Whether {@code failure} or one of its causes is an {@link UnrecoverableJobException}. */
  private static boolean isUnrecoverable(Throwable failure) {
    // Bounded: a cause chain may loop back on itself.
    Throwable cause = failure;
    for (int depth = 0; cause != null && depth < 32; depth++, cause = cause.getCause()) {
      if (cause instanceof UnrecoverableJobException) {
        return true;
      }
    }
    return false;
  }

  /** Decides the fate of a failed attempt and logs it (WARN for a retry, ERROR for a dead letter). */
  private FailurePlan plan(Job job, JobError error) {
    int maxAttempts = maxAttempts(job);
    if (job.attempt() < maxAttempts) {
      Duration delay = settings.retryPolicy().backoff(job.attempt(), ThreadLocalRandom.current().nextDouble());
      log.warn("job {} of queue {} failed attempt {}/{} with {}: {}; retrying in {} ms", job.id(),
          job.queue(), job.attempt(), maxAttempts, error.type(), error.message(), delay.toMillis());
      return new FailurePlan(error, delay);
    }
    log.error("job {} of queue {} failed its last attempt {}/{} with {}: {}; moving it to the dead-letter queue",
        job.id(), job.queue(), job.attempt(), maxAttempts, error.type(), error.message());
    return new FailurePlan(error, null);
  }

  private void failed(InFlight flight, FailurePlan plan, Duration took) {
    LeasedJob leased = flight.leased;
    Job job = leased.job();
    observer.onFailed(new JobFailedEvent(job, settings.name(), plan.error(), took));
    if (breaker != null) {
      breaker.onFailure(flight.permission);
    }
    settle(plan.retries() ? new Settlement.Retry(leased.lease(), plan.retryDelay(), plan.error())
        : new Settlement.DeadLetter(leased.lease(), plan.error()), job);
  }

  /**
   * Returns a job whose outcome this consumer claimed without running it to the end. If it was
   * the breaker's probe, no outcome will decide it: the breaker must grant a new one.
   */
  private void returnUnfinished(InFlight flight) {
    settle(new Settlement.Release(flight.leased.lease()), flight.leased.job());
    releasePermission(flight.permission);
  }

  private int maxAttempts(Job job) {
    return job.maxAttempts() > 0 ? job.maxAttempts() : settings.retryPolicy().maxAttempts();
  }

  // ---- maintenance ----------------------------------------------------------------------

  /**
   * Fails attempts that run past the job timeout, and gives back jobs that have waited for a
   * worker longer than that: their leases are renewed while they wait, so if every worker is stuck
   * in a handler that ignores interrupts, no other consumer could take them otherwise.
   */
  private void enforceTimeouts() {
    long now = System.nanoTime();
    long limit = settings.jobTimeout().toNanos();
    for (InFlight flight : inFlight.values()) {
      if (!flight.started()) {
        if (now - flight.fetchedAt > limit && flight.abandonUnstarted()) {
          Job job = flight.leased.job();
          logAbout(job, () -> log.warn("job {} of queue {} waited for a free worker longer than "
              + "jobTimeout {}; returned it to the queue", job.id(), job.queue(), settings.jobTimeout()));
          returnUnfinished(flight);
        }
        continue;
      }
      long took = flight.runningFor(now);
      if (took > limit && flight.abandon()) {
        JobError error = new JobError("timeout", "handler ran longer than jobTimeout "
            + settings.jobTimeout(), clock.instant());
        Job job = flight.leased.job();
        failed(flight, aboutJob(job, () -> plan(job, error)), Duration.ofNanos(took));
      }
    }
  }

  private void heartbeat() {
    List<InFlight> running = new ArrayList<>();
    List<Lease> leases = new ArrayList<>();
    for (InFlight flight : inFlight.values()) {
      if (!flight.isDone()) {
        running.add(flight);
        leases.add(flight.leased.lease());
      }
    }
    // Finished jobs whose outcomes wait for the settler, or are being written: their leases end
    // only when the outcome is recorded.
    for (Pending pending : settlements) {
      if (pending.settlement() != null) {
        leases.add(pending.settlement().lease());
      }
    }
    for (Settlement settlement : applying) {
      leases.add(settlement.lease());
    }
    try {
      Set<String> kept = backend.heartbeat(id, settings.queue(), leases, settings.leaseDuration(),
          settings.heartbeatInterval().multipliedBy(3));
      heartbeatReached = true;
      for (InFlight flight : running) {
        Lease lease = flight.leased.lease();
        // A job that finished meanwhile may have been acked already, which ends its lease.
        if (!kept.contains(lease.jobId()) && !flight.isDone() && !flight.leaseLossReported) {
          // Once per attempt: repeated at every heartbeat it reads as many losses.
          flight.leaseLossReported = true;
          logAbout(flight.leased.job(), () -> log.warn("lease on job {} of queue {} was lost (it expired "
              + "or another consumer took the job); its outcome will be discarded", lease.jobId(),
              lease.queue()));
        }
      }
    } catch (RuntimeException e) {
      heartbeatReached = false;
      warnBackend("heartbeat", e);
    }
  }

  /**
   * Records this consumer as gone: stats counted it until its last heartbeat's TTL ran out (three
   * heartbeat intervals). Skipped when the backend did not answer the last heartbeat or the last
   * settlements, so a close during an outage does not wait out one more timeout; the entry then
   * expires by itself.
   */
  private void deregister() {
    if (!heartbeatReached || settleAbandoned) {
      return;
    }
    try {
      backend.heartbeat(id, settings.queue(), List.of(), settings.leaseDuration(), Duration.ZERO);
    } catch (RuntimeException e) {
      log.debug("consumer {} could not deregister ({}); it drops out of the stats within {}", id,
          e.getMessage(), settings.heartbeatInterval().multipliedBy(3));
    }
  }

  private void recoverExpired() {
    try {
      for (Job job : backend.recoverExpired(settings.queue(), RECOVER_BATCH)) {
        logAbout(job, () -> log.warn("recovered job {} of queue {} after its lease expired on attempt {}",
            job.id(), job.queue(), job.attempt()));
        observer.onRecovered(new JobRecoveredEvent(job, settings.name()));
      }
    } catch (RuntimeException e) {
      warnBackend("lease recovery", e);
    }
  }

  // ---- settling -------------------------------------------------------------------------

  /**
   * An outcome waiting for the settler. For an ack, {@code handlerNanos} is how long the handler
   * ran, otherwise {@link #NOT_HANDLED}: the settler gathers the success events into batches, so
   * observers update their meters once per batch, one thread at a time, instead of contending for
   * them per job from every worker. A primitive rather than a {@link Duration}: one object less
   * per job, written on a worker's core and read on the settler's.
   */
  private record Pending(Settlement settlement, Job job, long handlerNanos) {}

  private static final long NOT_HANDLED = -1;

  /** Wakes an idle settler when {@link #close()} has stopped settling, so it ends at once. */
  private static final Pending WAKE_SETTLER = new Pending(null, null, NOT_HANDLED);

  private void settle(Settlement settlement, Job job) {
    settlements.add(new Pending(settlement, job, NOT_HANDLED));
  }

  private void settleSuccess(LeasedJob leased, long handlerNanos) {
    settlements.add(new Pending(new Settlement.Ack(leased.lease()), leased.job(), handlerNanos));
  }

  /**
   * Writes outcomes in batches. While they arrive faster than one per batch, the settler naps
   * briefly when it finds none instead of waiting on the queue, so that workers hand over
   * outcomes without waking it for each one.
   */
  private void settleLoop() {
    List<Pending> batch = new ArrayList<>(SETTLE_BATCH);
    boolean busy = false;
    while (true) {
      Pending first = settlements.poll();
      if (first == null && busy) {
        LockSupport.parkNanos(SETTLE_LINGER_NANOS);
        first = settlements.poll();
      }
      if (first == null) {
        first = pollSettlements(IDLE_PUBLISH_AFTER_MILLIS);
      }
      if (first == null) {
        // Idle for a while, so the settler has CPU to spare, and idle workers publish nothing.
        publishSuccesses(false);
        first = pollSettlements(100);
      }
      if (first == null || first == WAKE_SETTLER) {
        if (!settling) {
          publishLeftoverSuccesses();
          return;
        }
        continue;
      }
      batch.add(first);
      settlements.drainTo(batch, SETTLE_BATCH - 1);
      wakeWorkersWaitingForRoom();
      if (!settling) {
        batch.removeIf(pending -> pending == WAKE_SETTLER);
      }
      busy = batch.size() > 1;
      apply(batch);
      batch.clear();
    }
  }

  private Pending pollSettlements(long millis) {
    try {
      return settlements.poll(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      return settlements.poll();
    }
  }

  private void apply(List<Pending> batch) {
    List<Settlement> list = new ArrayList<>(batch.size());
    for (Pending pending : batch) {
      list.add(pending.settlement());
    }
    // Until they are written, the heartbeat keeps these leases too: a slow backend must not let a
    // finished job's lease lapse, or another consumer would run it again.
    applying = list;
    try {
      if (observer.observesSucceeded()) {
        queueSucceeded(batch);
      }
      write(batch, list);
    } finally {
      applying = List.of();
    }
    // A batch half full or more: outcomes gather faster than the settler writes them, so it sets
    // the pace and success batches are for workers to publish; otherwise it has time for them.
    settlerBehind = batch.size() >= SETTLE_BATCH / 2;
    if (!settlerBehind) {
      publishSuccesses(false);
    }
  }

  /** Queues the batch's success events for {@link #publishSuccesses(boolean)}. */
  private void queueSucceeded(List<Pending> batch) {
    Job[] jobs = new Job[batch.size()];
    long[] handlerNanos = new long[batch.size()];
    int succeeded = 0;
    for (Pending pending : batch) {
      if (pending.handlerNanos() != NOT_HANDLED) {
        jobs[succeeded] = pending.job();
        handlerNanos[succeeded] = pending.handlerNanos();
        succeeded++;
      }
    }
    if (succeeded > 0) {
      // Counted before it is added, so that a publisher finding the count at 0 has missed nothing.
      unpublishedBatches.incrementAndGet();
      unpublishedSuccesses.add(
          new SucceededEvents(settings.name(), settings.queue(), jobs, handlerNanos, succeeded));
    }
  }

  /**
   * Hands the waiting success batches to the observers, unless another thread is doing so, or,
   * with {@code wait}, after it. A publisher looks again after letting go, so that a batch queued
   * while it held the lock, when other threads found the lock taken, is not left waiting; it stops
   * after a round that found none, such as one counted but not yet added.
   */
  private void publishSuccesses(boolean wait) {
    boolean found = true;
    while (found && unpublishedBatches.get() > 0) {
      if (wait) {
        publishingSuccesses.lock();
      } else if (!publishingSuccesses.tryLock()) {
        return;
      }
      found = false;
      try {
        SucceededEvents events;
        while ((events = unpublishedSuccesses.poll()) != null) {
          found = true;
          unpublishedBatches.decrementAndGet();
          observer.onSucceededBatch(events);
        }
      } finally {
        publishingSuccesses.unlock();
      }
    }
  }

  /**
   * At the end: publishes the success batches still waiting, unless an observer that does not
   * return keeps the lock past the drain's deadline (and five seconds), which must not keep
   * {@code close()} from returning.
   */
  private void publishLeftoverSuccesses() {
    long nanos = Math.max(0, closeDeadlineNanos - System.nanoTime()) + TimeUnit.SECONDS.toNanos(5);
    boolean locked = waitThroughInterrupts(wait -> publishingSuccesses.tryLock(wait, TimeUnit.NANOSECONDS),
        Duration.ofNanos(nanos));
    if (!locked) {
      log.warn("consumer {} stopped with {} batches of success events unpublished: an observer did not "
          + "return", id, unpublishedBatches.get());
      return;
    }
    try {
      publishSuccesses(true);
    } finally {
      publishingSuccesses.unlock();
    }
  }

  private void write(List<Pending> batch, List<Settlement> list) {
    Duration pause = Duration.ofMillis(100);
    while (true) {
      List<Boolean> accepted;
      try {
        accepted = backend.settle(list);
      } catch (BackendUnavailableException e) {
        // Once close() has begun, retries share its drain timeout: a shutdown that outlasts it by
        // a retry schedule of its own outlasts the orchestrator's grace period too.
        long left = settling ? Long.MAX_VALUE : closeDeadlineNanos - System.nanoTime();
        if (left <= 0) {
          settleAbandoned = true;
          log.error("could not record the outcome of {} jobs before the drain timeout of {} ended; their "
              + "leases will expire and they will be delivered again", list.size(), settings.drainTimeout(),
              e);
          return;
        }
        warnBackend("settle", e);
        sleepUninterruptibly(min(pause, Duration.ofNanos(left)));
        pause = min(pause.multipliedBy(2), MAX_RETRY_PAUSE);
        continue;
      } catch (RuntimeException e) {
        log.error("could not record the outcome of {} jobs; their leases will expire and they will "
            + "be delivered again", list.size(), e);
        return;
      }
      for (int i = 0; i < batch.size(); i++) {
        published(batch.get(i), accepted.get(i));
      }
      return;
    }
  }

  private void published(Pending pending, boolean accepted) {
    Settlement settlement = pending.settlement();
    Job job = pending.job();
    if (!accepted) {
      // A retried settle whose first try timed out on the client but ran on the server finds its
      // lease gone too: say that it may have been recorded.
      logAbout(job, () -> log.warn("the outcome of job {} of queue {} was not recorded by this call: its "
          + "lease was no longer held (it expired and the job will run again, or an earlier try that timed "
          + "out was recorded)", job.id(), job.queue()));
      return;
    }
    if (settlement instanceof Settlement.Retry retry) {
      observer.onRetried(new JobRetriedEvent(job, retry.delay(), retry.error()));
    } else if (settlement instanceof Settlement.DeadLetter dead) {
      observer.onDeadLettered(new JobDeadLetteredEvent(job.id(), job.queue(), job.attempt(), dead.error()));
    }
  }

  // ---- lifecycle ------------------------------------------------------------------------

  @Override
  public void close() {
    if (isOwnThread(Thread.currentThread())) {
      // A handler or observer closing its consumer: waiting for the drain here would wait for this
      // very thread, and the outcome it is about to hand over would miss the settler's last flush.
      if (closing.compareAndSet(false, true)) {
        Thread closer = NamedThreads.single(settings.name(), "closer").newThread(this::drainAndStop);
        closer.setDaemon(false); // the drain finishes even if the application's last thread ends
        closer.start();
      }
      return;
    }
    if (!closing.compareAndSet(false, true)) {
      awaitStopped();
      return;
    }
    synchronized (lifecycle) {
      if (state.compareAndSet(ConsumerState.NEW, ConsumerState.STOPPED)) {
        shutdownThreads();
        stopped.countDown();
        return;
      }
    }
    drainAndStop();
  }

  private boolean isOwnThread(Thread thread) {
    return thread == settler || thread == maintenanceThread || thread == stoppingThread
        || workers.contains(thread);
  }

  private void drainAndStop() {
    closeDeadlineNanos = System.nanoTime() + settings.drainTimeout().toNanos();
    stoppingThread = Thread.currentThread();
    transition(ConsumerState.RUNNING, ConsumerState.DRAINING);
    fetching = false;
    synchronized (fetchingThreadLock) {
      if (fetchingThread != null) {
        fetchingThread.interrupt();
      }
    }
    workers.forEach(worker -> buffer.add(TAKE_TURN)); // wake idle workers so they see the stop
    if (!awaitWorkers(settings.drainTimeout())) {
      int returned = 0;
      for (InFlight flight : inFlight.values()) {
        if (flight.abandon()) {
          returnUnfinished(flight);
          returned++;
        }
      }
      log.warn("consumer {} returned {} unfinished jobs to queue {} after the drain timeout of {}",
          id, returned, settings.queue(), settings.drainTimeout());
      awaitWorkers(Duration.ofSeconds(1));
    }
    // Maintenance may still queue a timed-out job's outcome, and a heartbeat after deregister()
    // would count the consumer again: stop both before the last flush.
    shutdownThreads();
    waitThroughInterrupts(nanos -> {
      long deadline = System.nanoTime() + nanos;
      return maintenance.awaitTermination(nanos, TimeUnit.NANOSECONDS)
          && heartbeats.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    }, Duration.ofSeconds(5));
    settling = false;
    wakeWorkersWaitingForRoom();
    settlements.add(WAKE_SETTLER);
    // The settler gives up at the close deadline, once the backend call it may be in has returned.
    waitThroughInterrupts(nanos -> {
      TimeUnit.NANOSECONDS.timedJoin(settler, nanos);
      return !settler.isAlive();
    }, Duration.ofNanos(Math.max(0, closeDeadlineNanos - System.nanoTime())).plusSeconds(5));
    publishLeftoverSuccesses(); // those of a settler that gave up at the deadline
    deregister();
    transition(ConsumerState.DRAINING, ConsumerState.STOPPED);
    log.info("consumer {} stopped", id);
    stopped.countDown();
  }

  private void shutdownThreads() {
    maintenance.shutdownNow();
    heartbeats.shutdownNow();
  }

  private void transition(ConsumerState from, ConsumerState to) {
    state.set(to);
    observer.onConsumerStateChanged(new ConsumerStateChangedEvent(settings.name(), settings.queue(), from, to));
  }

  private void breakerChanged(CircuitBreakerState from, CircuitBreakerState to) {
    log.warn("circuit breaker of consumer {} went from {} to {}", id, from, to);
    observer.onCircuitBreakerStateChanged(new CircuitBreakerStateChangedEvent(settings.name(), from, to));
  }

  /** Waits for every worker thread to end, at most {@code timeout} in all. */
  private boolean awaitWorkers(Duration timeout) {
    return waitThroughInterrupts(nanos -> {
      long deadline = System.nanoTime() + nanos;
      for (Thread worker : workers) {
        TimeUnit.NANOSECONDS.timedJoin(worker, deadline - System.nanoTime());
      }
      return workers.stream().noneMatch(Thread::isAlive);
    }, timeout);
  }

  private void awaitStopped() {
    // A drain takes at most the drain timeout and a few seconds; keep waiting all the same.
    boolean done;
    do {
      done = waitThroughInterrupts(nanos -> stopped.await(nanos, TimeUnit.NANOSECONDS), Duration.ofDays(1));
    } while (!done);
  }

  /** A wait of at most the given nanoseconds; true once what it waits for has happened. */
  @FunctionalInterface
  private interface TimedWait {
    boolean await(long nanos) throws InterruptedException;
  }

  /**
   * Runs {@code wait} for up to {@code timeout}, resuming it when the thread is interrupted: a
   * caller that closes the consumer from an interrupted thread still gets the drain it asked for.
   * The interrupt is re-asserted before returning.
   */
  private static boolean waitThroughInterrupts(TimedWait wait, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean interrupted = Thread.interrupted();
    try {
      while (true) {
        try {
          return wait.await(Math.max(0, deadline - System.nanoTime()));
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String name() {
    return settings.name();
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String queue() {
    return settings.queue();
  }

  @Override
  public ConsumerState state() {
    return state.get();
  }

  @Override
  public int activeWorkers() {
    return active.get();
  }

  @Override
  public CircuitBreakerState circuitBreakerState() {
    return breaker == null ? CircuitBreakerState.CLOSED : breaker.state();
  }

  // ---- helpers --------------------------------------------------------------------------

  /** After fetches failed, says once that they work again. */
  private void fetchRecovered() {
    if (fetchFailing.getAndSet(false)) {
      log.info("consumer {} fetches from the backend again", id);
    }
  }

  /**
   * A closed backend never opens again: fetching on would log the same error until the
   * application closed the consumer, so it stops, saying so once.
   */
  private void stopAfterBackendClosed(BackendClosedException e) {
    if (backendClosedReported.compareAndSet(false, true)) {
      log.error("consumer {} stops: its backend was closed while it ran ({}); close consumers before "
          + "their backend", id, e.getMessage());
      close();
    }
  }

  private void warnBackend(String operation, RuntimeException e) {
    if (e instanceof BackendUnavailableException) {
      backendWarning.warn(log, "consumer {} could not {}: backend unavailable ({}); retrying", id,
          operation, e.getMessage());
    } else if (backendError.due()) {
      log.error("consumer {} failed to {}; retrying (this error is logged at most every 10 s)", id,
          operation, e);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      // only close() interrupts a worker here, and the work loop checks for that
    }
  }

  private static void sleepUninterruptibly(Duration duration) {
    long end = System.nanoTime() + duration.toNanos();
    long left;
    while ((left = end - System.nanoTime()) > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(left);
      } catch (InterruptedException ignored) {
        // keep the batch: settling must not be cut short by an interrupt
      }
    }
  }

  /** One leased job from dispatch until its outcome is decided, by the worker or the watchdog. */
  private static final class InFlight {
    final LeasedJob leased;
    /** When the fetch that took the job returned. */
    final long fetchedAt;
    /** The breaker's permission for the fetch, to report the outcome with; null without a breaker. */
    final CircuitBreaker.Permission permission;
    private Thread thread;
    volatile long startNanos;
    /** Set on the worker thread when the handler itself failed. */
    FailurePlan plan;
    /** Read and written by the heartbeat thread only. */
    boolean leaseLossReported;
    // Written under the lock; volatile so that isDone(), asked twice per attempt, takes no lock.
    private volatile boolean done;

    InFlight(LeasedJob leased, long fetchedAt, CircuitBreaker.Permission permission) {
      this.leased = leased;
      this.fetchedAt = fetchedAt;
      this.permission = permission;
    }

    /** Records the worker; false if shutdown already gave the job back before it started. */
    synchronized boolean begin(Thread worker, long now) {
      if (done) {
        return false;
      }
      this.thread = worker;
      this.startNanos = now;
      return true;
    }

    synchronized boolean started() {
      return thread != null;
    }

    /** Claims the outcome of a job no worker has begun; false once one has, or if already claimed. */
    synchronized boolean abandonUnstarted() {
      if (done || thread != null) {
        return false;
      }
      done = true;
      return true;
    }

    long runningFor(long now) {
      long start = startNanos;
      return start == 0 ? 0 : now - start;
    }

    boolean isDone() {
      return done;
    }

    /** The worker claims the outcome; false if the watchdog or shutdown already did. */
    synchronized boolean finish() {
      if (done) {
        return false;
      }
      done = true;
      return true;
    }

    /**
     * The watchdog or shutdown claims the outcome and interrupts the handler. The interrupt is
     * sent while holding the lock, so it cannot reach the worker after its own {@link #finish()}.
     */
    synchronized boolean abandon() {
      if (done) {
        return false;
      }
      done = true;
      if (thread != null) {
        thread.interrupt();
      }
      return true;
    }
  }
}
