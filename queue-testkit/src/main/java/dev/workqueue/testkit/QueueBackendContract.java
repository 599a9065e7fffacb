package dev.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.BackendClosedException;
import dev.workqueue.Consumer;
import dev.workqueue.ConsumerState;
import dev.workqueue.DeadLetter;
import dev.workqueue.EnqueueResult;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueStats;
import dev.workqueue.RetryPolicy;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.FetchResult;
import dev.workqueue.spi.Lease;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.spi.Settlement;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link QueueBackend} must show, as one suite that each backend's test
 * class extends. Tests wait on conditions with generous timeouts and never assert on timing
 * beyond "not before" checks whose margins are wide.
 *
 * <p>Backends may store times with millisecond precision; the suite compares at that precision.
 */
public abstract class QueueBackendContract {
  /** Long enough for any wait a loaded machine needs. */
  protected static final Duration PATIENCE = Duration.ofSeconds(20);
  private static final Duration LONG_LEASE = Duration.ofMinutes(5);
  private static final Duration SHORT_LEASE = Duration.ofMillis(300);
  private static final Duration TTL = Duration.ofHours(1);
  private static final Duration SHORT_TTL = Duration.ofMillis(200);

  protected QueueBackend backend;
  private String queue;

  /** A fresh backend, isolated from every other test's data (for example by key namespace). */
  protected abstract QueueBackend createBackend();

  /**
   * A fresh backend like {@link #createBackend()} that keeps at most {@code deadLetterLimit} dead
   * letters per queue, none longer than {@code deadLetterAge}.
   */
  protected abstract QueueBackend createBackend(int deadLetterLimit, Duration deadLetterAge);

  /**
   * Writes data that cannot be decoded into a job where a waiting job of {@code queue} and
   * {@code priority} would be, with {@code id} readable if the backend can tell ids apart.
   *
   * @return false if this backend cannot hold such data (the poison tests are then skipped)
   */
  protected boolean storeUndecodable(QueueBackend backend, String queue, String priority, String id) {
    return false;
  }

  @BeforeEach
  void openBackend() {
    backend = createBackend();
    queue = "contract-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void closeBackend() {
    backend.close();
  }

  // ---- helpers --------------------------------------------------------------------------

  /** A job for the test's queue, due now. */
  protected Job job(String priority, String payload) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return new Job(UUID.randomUUID().toString(), queue, priority,
        payload.getBytes(StandardCharsets.UTF_8), 0, 0, now, now, Map.of(), null);
  }

  private Job delayedJob(String payload, Duration delay) {
    Job job = job("default", payload);
    return job.withRunAt(job.createdAt().plus(delay));
  }

  private Job keyedJob(String key) {
    Job job = job("default", "keyed");
    return new Job(job.id(), job.queue(), job.priority(), job.payload(), 0, 0, job.createdAt(),
        job.runAt(), Map.of(), key);
  }

  /** Makes {@code replacement} the backend of the rest of the test, closing the default one. */
  private void useBackend(QueueBackend replacement) {
    backend.close();
    backend = replacement;
  }

  private List<EnqueueResult> enqueue(Job... jobs) {
    return backend.enqueue(List.of(jobs), TTL);
  }

  private List<EnqueueResult> enqueueWithShortTtl(Job... jobs) {
    return backend.enqueue(List.of(jobs), SHORT_TTL);
  }

  private FetchRequest request(int maxJobs, Duration lease, Duration wait, String... priorities) {
    return new FetchRequest("contract-consumer", queue, List.of(priorities), maxJobs, lease, wait);
  }

  private List<LeasedJob> fetch(int maxJobs, String... priorities) {
    return fetchWith(request(maxJobs, LONG_LEASE, Duration.ZERO, priorities)).jobs();
  }

  private FetchResult fetchWith(FetchRequest request) {
    try {
      return backend.fetch(request);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private LeasedJob fetchOne(String... priorities) {
    List<LeasedJob> jobs = fetch(1, priorities.length == 0 ? new String[] {"default"} : priorities);
    assertThat(jobs).hasSize(1);
    return jobs.get(0);
  }

  /** Waits until a fetch of the default lane returns a job, and returns it. */
  private LeasedJob awaitFetch(Duration lease) {
    List<LeasedJob> got = new ArrayList<>();
    await().atMost(PATIENCE).until(() -> {
      got.addAll(fetchWith(request(1, lease, Duration.ofMillis(50), "default")).jobs());
      return !got.isEmpty();
    });
    return got.get(0);
  }

  private boolean settle(Settlement settlement) {
    return backend.settle(List.of(settlement)).get(0);
  }

  private static List<String> ids(List<LeasedJob> jobs) {
    return jobs.stream().map(leased -> leased.job().id()).toList();
  }

  private static String payload(LeasedJob leased) {
    return leased.job().payloadAsString();
  }

  private JobError error(String message) {
    return new JobError("java.lang.IllegalStateException", message, Instant.now().truncatedTo(ChronoUnit.MILLIS));
  }

  // ---- enqueue and fetch ----------------------------------------------------------------

  @Test
  void enqueueReturnsOneCreatedResultPerJobInOrder() {
    Job first = job("default", "a");
    Job second = job("default", "b");
    assertThat(enqueue(first, second)).containsExactly(
        new EnqueueResult(first.id(), true), new EnqueueResult(second.id(), true));
  }

  @Test
  void fetchedJobKeepsEveryFieldAndCountsItsFirstAttempt() {
    Job original = new Job(UUID.randomUUID().toString(), queue, "default",
        new byte[] {0, 1, (byte) 0xff, '\n', '"', '\\'}, 0, 7,
        Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(5),
        Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(5),
        Map.of("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k", "v"),
        "key-" + UUID.randomUUID());
    enqueue(original);

    Job fetched = fetchOne().job();

    assertThat(fetched).isEqualTo(original.withAttempt(1));
    assertThat(fetched.payload()).containsExactly(0, 1, 0xff, '\n', '"', '\\');
  }

  @Test
  void emptyPayloadRoundTrips() {
    Job empty = new Job(UUID.randomUUID().toString(), queue, "default", new byte[0], 0, 0,
        Instant.now().truncatedTo(ChronoUnit.MILLIS), Instant.now().truncatedTo(ChronoUnit.MILLIS), Map.of(), null);
    enqueue(empty);
    assertThat(fetchOne().job().payloadSize()).isZero();
  }

  @Test
  void fetchGivesALeaseForTheJobWithADeadlineInTheFuture() {
    Job job = job("default", "a");
    enqueue(job);
    Instant before = Instant.now().minusSeconds(1);

    Lease lease = fetchOne().lease();

    assertThat(lease.jobId()).isEqualTo(job.id());
    assertThat(lease.queue()).isEqualTo(queue);
    assertThat(lease.deadline()).isAfter(before.plus(LONG_LEASE).minusSeconds(30));
  }

  @Test
  void jobsOfOneLaneComeOutInEnqueueOrder() {
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      jobs.add(job("default", "job-" + i));
    }
    backend.enqueue(jobs, TTL);

    assertThat(ids(fetch(20, "default"))).containsExactlyElementsOf(jobs.stream().map(Job::id).toList());
  }

  @Test
  void strictPriorityTakesEveryHigherJobBeforeAnyLowerOne() {
    enqueue(job("low", "low-1"), job("low", "low-2"));
    enqueue(job("high", "high-1"), job("high", "high-2"));

    List<String> order = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      order.add(payload(fetchOne("high", "low")));
    }

    assertThat(order).containsExactly("high-1", "high-2", "low-1", "low-2");
  }

  @Test
  void oneFetchFillsItsBatchFromLowerLanesInOrder() {
    enqueue(job("high", "h1"), job("low", "l1"), job("low", "l2"), job("mid", "m1"));

    List<String> taken = fetch(3, "high", "mid", "low").stream().map(QueueBackendContract::payload).toList();

    assertThat(taken).containsExactly("h1", "m1", "l1");
  }

  @Test
  void fetchTakesNoMoreThanMaxJobs() {
    for (int i = 0; i < 10; i++) {
      enqueue(job("default", "j" + i));
    }
    assertThat(fetch(4, "default")).hasSize(4);
    assertThat(backend.stats(queue).totalWaiting()).isEqualTo(6);
  }

  @Test
  void fetchIgnoresLanesNotRequestedAndOtherQueues() {
    enqueue(job("other-lane", "x"));
    Job elsewhere = job("default", "y");
    backend.enqueue(List.of(new Job(elsewhere.id(), queue + "-other", "default", elsewhere.payload(), 0, 0,
        elsewhere.createdAt(), elsewhere.runAt(), Map.of(), null)), TTL);

    assertThat(fetch(10, "default")).isEmpty();
  }

  @Test
  void fetchWithoutWaitOnAnEmptyQueueReturnsEmpty() {
    FetchResult result = fetchWith(request(5, LONG_LEASE, Duration.ZERO, "default"));
    assertThat(result.isEmpty()).isTrue();
  }

  @Test
  void blockedFetchWakesUpWhenAJobIsEnqueued() throws Exception {
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      CountDownLatch fetching = new CountDownLatch(1);
      Future<FetchResult> pending = executor.submit(() -> {
        fetching.countDown();
        return backend.fetch(request(1, LONG_LEASE, Duration.ofSeconds(60), "default"));
      });
      fetching.await();
      Job job = job("default", "wake-up");
      enqueue(job);

      FetchResult result = pending.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

      assertThat(ids(result.jobs())).containsExactly(job.id());
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void aJobIsLeasedToOnlyOneOfManyConcurrentFetchers() throws Exception {
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      jobs.add(job("default", "j" + i));
    }
    backend.enqueue(jobs, TTL);
    ExecutorService executor = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<String>>> fetchers = new ArrayList<>();
      for (int f = 0; f < 4; f++) {
        fetchers.add(executor.submit(() -> {
          List<String> mine = new ArrayList<>();
          List<LeasedJob> got;
          while (!(got = backend.fetch(request(7, LONG_LEASE, Duration.ZERO, "default")).jobs()).isEmpty()) {
            mine.addAll(ids(got));
          }
          return mine;
        }));
      }
      List<String> all = new ArrayList<>();
      for (Future<List<String>> fetcher : fetchers) {
        all.addAll(fetcher.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
      }
      assertThat(all).hasSize(200).doesNotHaveDuplicates();
    } finally {
      executor.shutdownNow();
    }
  }

  // ---- settling -------------------------------------------------------------------------

  @Test
  void ackedJobIsGoneAndCountedInCompletedHistory() {
    enqueue(job("default", "a"));
    LeasedJob leased = fetchOne();

    assertThat(settle(new Settlement.Ack(leased.lease()))).isTrue();

    QueueStats stats = backend.stats(queue);
    assertThat(stats.pending()).isZero();
    assertThat(stats.completed()).isEqualTo(1);
    assertThat(fetch(1, "default")).isEmpty();
  }

  @Test
  void settlingTheSameLeaseTwiceIsRejectedTheSecondTime() {
    enqueue(job("default", "a"));
    LeasedJob leased = fetchOne();

    assertThat(settle(new Settlement.Ack(leased.lease()))).isTrue();
    assertThat(settle(new Settlement.DeadLetter(leased.lease(), error("late")))).isFalse();
    assertThat(backend.stats(queue).dead()).isZero();
  }

  @Test
  void aBatchOfSettlementsIsAcceptedPerItem() {
    enqueue(job("default", "a"), job("default", "b"), job("default", "c"));
    List<LeasedJob> leased = fetch(3, "default");
    Lease forged = new Lease(leased.get(2).job().id(), queue, "not-a-token", leased.get(2).lease().deadline());

    List<Boolean> accepted = backend.settle(List.of(
        new Settlement.Ack(leased.get(0).lease()),
        new Settlement.DeadLetter(leased.get(1).lease(), error("boom")),
        new Settlement.Ack(forged)));

    assertThat(accepted).containsExactly(true, true, false);
    QueueStats stats = backend.stats(queue);
    assertThat(stats.completed()).isEqualTo(1);
    assertThat(stats.dead()).isEqualTo(1);
    assertThat(stats.inFlight()).isEqualTo(1);
  }

  @Test
  void retriedJobWaitsInTheDelayedSetThenRunsAgainWithItsNextAttempt() {
    Job job = job("default", "flaky");
    enqueue(job);
    LeasedJob first = fetchOne();

    assertThat(settle(new Settlement.Retry(first.lease(), Duration.ofMillis(400), error("try again")))).isTrue();

    assertThat(fetch(1, "default")).isEmpty();
    assertThat(backend.stats(queue).delayed()).isEqualTo(1);
    LeasedJob second = awaitFetch(LONG_LEASE);
    assertThat(second.job().id()).isEqualTo(job.id());
    assertThat(second.job().attempt()).isEqualTo(2);
    assertThat(second.job().payloadAsString()).isEqualTo("flaky");
    assertThat(second.lease().token()).isNotEqualTo(first.lease().token());
  }

  @Test
  void retryIsNotVisibleBeforeItsBackoff() {
    enqueue(job("default", "later"));
    LeasedJob leased = fetchOne();
    settle(new Settlement.Retry(leased.lease(), Duration.ofMinutes(10), error("later")));

    assertThat(fetchWith(request(1, LONG_LEASE, Duration.ofMillis(300), "default")).jobs()).isEmpty();
    assertThat(backend.peekDelayed(queue, 10)).extracting(Job::id).containsExactly(leased.job().id());
  }

  @Test
  void deadLetteredJobKeepsItsLastError() {
    Job job = job("default", "doomed");
    enqueue(job);
    LeasedJob leased = fetchOne();
    JobError error = error("final failure");

    assertThat(settle(new Settlement.DeadLetter(leased.lease(), error))).isTrue();

    List<DeadLetter> dead = backend.peekDead(queue, 10);
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).jobId()).isEqualTo(job.id());
    assertThat(dead.get(0).error()).isEqualTo(error);
    assertThat(dead.get(0).job().payloadAsString()).isEqualTo("doomed");
    assertThat(dead.get(0).job().attempt()).isEqualTo(1);
    assertThat(backend.stats(queue).dead()).isEqualTo(1);
  }

  @Test
  void deadLettersPastTheLimitMakeRoomByDeletingTheOldest() {
    useBackend(createBackend(2, Duration.ofDays(1)));
    Job first = job("default", "first");
    Job second = job("default", "second");
    Job third = job("default", "third");
    enqueue(first, second, third);

    for (int i = 0; i < 3; i++) {
      assertThat(settle(new Settlement.DeadLetter(fetchOne().lease(), error("failure " + i)))).isTrue();
    }

    assertThat(backend.peekDead(queue, 10)).extracting(DeadLetter::jobId)
        .containsExactly(second.id(), third.id());
    assertThat(backend.stats(queue).dead()).isEqualTo(2);
  }

  @Test
  void aDeadLetterLimitOfZeroKeepsNoDeadLetter() {
    useBackend(createBackend(0, Duration.ofDays(1)));
    enqueue(job("default", "doomed"));

    assertThat(settle(new Settlement.DeadLetter(fetchOne().lease(), error("final failure")))).isTrue();

    assertThat(backend.peekDead(queue, 10)).isEmpty();
    assertThat(backend.stats(queue)).extracting(QueueStats::dead, QueueStats::inFlight)
        .containsExactly(0L, 0L);
  }

  @Test
  void deadLettersOlderThanTheAgeAreDeletedAlsoWhenNoOtherJobDies() {
    useBackend(createBackend(10, Duration.ofMillis(300)));
    enqueue(job("default", "doomed"));

    assertThat(settle(new Settlement.DeadLetter(fetchOne().lease(), error("final failure")))).isTrue();

    await().atMost(PATIENCE)
        .until(() -> backend.stats(queue).dead() == 0 && backend.peekDead(queue, 10).isEmpty());
  }

  @Test
  void releasedJobGoesBackToTheHeadOfItsLaneWithoutCountingTheAttempt() {
    enqueue(job("default", "first"), job("default", "second"));
    LeasedJob leased = fetchOne();

    assertThat(settle(new Settlement.Release(leased.lease()))).isTrue();

    LeasedJob again = fetchOne();
    assertThat(again.job().id()).isEqualTo(leased.job().id());
    assertThat(again.job().attempt()).isEqualTo(1);
  }

  @Test
  void jobsReleasedInOneBatchGoBackToTheHeadOfTheirLaneInTheBatchOrder() {
    enqueue(job("default", "a"), job("default", "b"), job("default", "c"), job("default", "d"));
    List<LeasedJob> taken = fetch(3, "default");

    assertThat(backend.settle(taken.stream()
        .<Settlement>map(leased -> new Settlement.Release(leased.lease())).toList()))
        .containsExactly(true, true, true);

    assertThat(fetch(4, "default")).extracting(leased -> leased.job().payloadAsString())
        .containsExactly("a", "b", "c", "d");
  }

  // ---- leases ---------------------------------------------------------------------------

  @Test
  void expiredLeaseIsRecoveredAndTheJobDeliveredAgainWithItsAttemptCounted() {
    Job job = job("default", "lost");
    enqueue(job);
    LeasedJob first = fetchWith(request(1, SHORT_LEASE, Duration.ZERO, "default")).jobs().get(0);

    List<Job> recovered = new ArrayList<>();
    await().atMost(PATIENCE).until(() -> {
      recovered.addAll(backend.recoverExpired(queue, 100));
      return !recovered.isEmpty();
    });

    assertThat(recovered).extracting(Job::id).containsExactly(job.id());
    assertThat(recovered.get(0).attempt()).isEqualTo(1);
    LeasedJob second = fetchOne();
    assertThat(second.job().attempt()).isEqualTo(2);
    assertThat(settle(new Settlement.Ack(first.lease()))).as("stale lease").isFalse();
    assertThat(settle(new Settlement.Ack(second.lease()))).isTrue();
  }

  @Test
  void unexpiredLeasesAreNotRecovered() {
    enqueue(job("default", "busy"));
    fetchOne();
    assertThat(backend.recoverExpired(queue, 100)).isEmpty();
    assertThat(backend.stats(queue).inFlight()).isEqualTo(1);
  }

  @Test
  void heartbeatExtendsHeldLeasesSoTheyAreNotRecovered() {
    enqueue(job("default", "long-running"));
    LeasedJob leased = fetchWith(request(1, SHORT_LEASE, Duration.ZERO, "default")).jobs().get(0);

    Set<String> kept = backend.heartbeat("contract-consumer", queue, List.of(leased.lease()),
        LONG_LEASE, Duration.ofSeconds(30));
    sleepPast(SHORT_LEASE);

    assertThat(kept).containsExactly(leased.job().id());
    assertThat(backend.recoverExpired(queue, 100)).isEmpty();
    assertThat(settle(new Settlement.Ack(leased.lease()))).isTrue();
  }

  @Test
  void heartbeatExtendsALeaseOnlyForTheJobItWasGivenFor() {
    enqueue(job("default", "held"));
    LeasedJob leased = fetchWith(request(1, SHORT_LEASE, Duration.ZERO, "default")).jobs().get(0);
    Lease current = leased.lease();
    Lease sameTokenOtherJob = new Lease("another-job", current.queue(), current.token(), current.deadline());

    Set<String> kept = backend.heartbeat("contract-consumer", queue, List.of(sameTokenOtherJob),
        LONG_LEASE, Duration.ofSeconds(30));
    sleepPast(SHORT_LEASE);

    assertThat(kept).isEmpty();
    assertThat(backend.recoverExpired(queue, 100)).extracting(Job::id).containsExactly(leased.job().id());
  }

  @Test
  void heartbeatDoesNotExtendALeaseThatWasLost() {
    enqueue(job("default", "lost"));
    LeasedJob leased = fetchWith(request(1, SHORT_LEASE, Duration.ZERO, "default")).jobs().get(0);
    await().atMost(PATIENCE).until(() -> !backend.recoverExpired(queue, 100).isEmpty());

    Set<String> kept = backend.heartbeat("contract-consumer", queue, List.of(leased.lease()),
        LONG_LEASE, Duration.ofSeconds(30));

    assertThat(kept).isEmpty();
  }

  @Test
  void heartbeatMakesTheConsumerCountAsAlive() {
    backend.heartbeat("alive-1", queue, List.of(), LONG_LEASE, Duration.ofSeconds(30));
    backend.heartbeat("alive-2", queue, List.of(), LONG_LEASE, Duration.ofSeconds(30));
    assertThat(backend.stats(queue).consumers()).isEqualTo(2);
  }

  @Test
  void concurrentReapersRecoverEachExpiredJobOnce() throws Exception {
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      jobs.add(job("default", "j" + i));
    }
    backend.enqueue(jobs, TTL);
    fetchWith(request(50, Duration.ofMillis(100), Duration.ZERO, "default"));
    sleepPast(Duration.ofMillis(100));
    ExecutorService executor = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<Job>>> reapers = new ArrayList<>();
      for (int r = 0; r < 4; r++) {
        reapers.add(executor.submit(() -> backend.recoverExpired(queue, 1_000)));
      }
      List<String> recovered = new ArrayList<>();
      for (Future<List<Job>> reaper : reapers) {
        reaper.get(PATIENCE.toSeconds(), TimeUnit.SECONDS).forEach(job -> recovered.add(job.id()));
      }
      assertThat(recovered).hasSize(50).doesNotHaveDuplicates();
      assertThat(backend.stats(queue).totalWaiting()).isEqualTo(50);
    } finally {
      executor.shutdownNow();
    }
  }

  // ---- delayed jobs and idempotency -----------------------------------------------------

  @Test
  void delayedJobIsNotVisibleBeforeItsRunTimeAndRunsAfterIt() {
    Job delayed = delayedJob("later", Duration.ofMillis(600));
    enqueue(delayed);

    assertThat(fetch(1, "default")).isEmpty();
    assertThat(backend.stats(queue).delayed()).isEqualTo(1);
    assertThat(awaitFetch(LONG_LEASE).job().id()).isEqualTo(delayed.id());
  }

  @Test
  void peekDelayedListsTheSoonestFirst() {
    Job late = delayedJob("late", Duration.ofHours(2));
    Job soon = delayedJob("soon", Duration.ofHours(1));
    enqueue(late, soon);

    assertThat(backend.peekDelayed(queue, 10)).extracting(Job::id).containsExactly(soon.id(), late.id());
  }

  @Test
  void secondEnqueueWithTheSameIdempotencyKeyIsANoOp() {
    String key = "order-" + UUID.randomUUID();
    Job first = keyedJob(key);
    Job second = keyedJob(key);

    assertThat(enqueue(first)).containsExactly(new EnqueueResult(first.id(), true));
    assertThat(enqueue(second)).containsExactly(new EnqueueResult(first.id(), false));
    assertThat(backend.stats(queue).totalWaiting()).isEqualTo(1);
  }

  @Test
  void idempotencyKeysRepeatedWithinOneBatchStoreOneJob() {
    String key = "batch-" + UUID.randomUUID();
    Job first = keyedJob(key);
    Job second = keyedJob(key);

    assertThat(enqueue(first, second)).containsExactly(
        new EnqueueResult(first.id(), true), new EnqueueResult(first.id(), false));
    assertThat(backend.stats(queue).totalWaiting()).isEqualTo(1);
  }

  /** The key outlives its TTL while the job is in the queue, then lasts the TTL after the ack. */
  @Test
  void anIdempotencyKeyIsKnownWhileItsJobWaitsAndForItsTtlAfterTheJobCompleted() {
    Job first = keyedJob("short-" + UUID.randomUUID());
    enqueueWithShortTtl(first);
    sleepPast(SHORT_TTL.multipliedBy(2));
    assertThat(enqueueWithShortTtl(keyedJob(first.idempotencyKey())))
        .containsExactly(new EnqueueResult(first.id(), false));

    LeasedJob leased = fetchOne();
    sleepPast(SHORT_TTL.multipliedBy(2));
    assertThat(enqueueWithShortTtl(keyedJob(first.idempotencyKey())).get(0).created()).isFalse();
    assertThat(settle(new Settlement.Ack(leased.lease()))).isTrue();
    assertThat(enqueueWithShortTtl(keyedJob(first.idempotencyKey())).get(0).created()).isFalse();

    Job again = keyedJob(first.idempotencyKey());
    await().atMost(PATIENCE).until(() -> enqueueWithShortTtl(again).get(0).created());
    assertThat(fetchOne().job().id()).isEqualTo(again.id());
  }

  @Test
  void aDeadLetteredJobHoldsItsKeyUntilItsLetterIsDeletedAndRequeueKeepsItHeld() {
    Job deleted = keyedJob("dies-" + UUID.randomUUID());
    Job requeued = keyedJob("dies-" + UUID.randomUUID());
    enqueueWithShortTtl(deleted);
    enqueueWithShortTtl(requeued);
    for (LeasedJob leased : fetch(2, "default")) {
      assertThat(settle(new Settlement.DeadLetter(leased.lease(), error("final failure")))).isTrue();
    }
    assertThat(backend.requeueDeadJob(queue, requeued.id())).isEqualTo(1);
    sleepPast(SHORT_TTL.multipliedBy(2));
    assertThat(enqueueWithShortTtl(keyedJob(deleted.idempotencyKey()), keyedJob(requeued.idempotencyKey())))
        .containsExactly(new EnqueueResult(deleted.id(), false), new EnqueueResult(requeued.id(), false));

    assertThat(backend.deleteDeadJob(queue, deleted.id())).isEqualTo(1);

    Job again = keyedJob(deleted.idempotencyKey());
    await().atMost(PATIENCE).until(() -> enqueueWithShortTtl(again).get(0).created());
    assertThat(enqueueWithShortTtl(keyedJob(requeued.idempotencyKey())).get(0).created()).isFalse();
  }

  @Test
  void purgedAndRetentionDroppedDeadLettersReleaseTheirKeys() {
    useBackend(createBackend(1, Duration.ofDays(1)));
    Job dropped = keyedJob("dropped-" + UUID.randomUUID());
    Job purged = keyedJob("purged-" + UUID.randomUUID());
    enqueueWithShortTtl(dropped);
    settle(new Settlement.DeadLetter(fetchOne().lease(), error("first failure")));
    enqueueWithShortTtl(purged);
    settle(new Settlement.DeadLetter(fetchOne().lease(), error("second failure")));
    assertThat(backend.peekDead(queue, 10)).extracting(DeadLetter::jobId).containsExactly(purged.id());

    assertThat(backend.purgeDead(queue)).isEqualTo(1);

    await().atMost(PATIENCE).until(() -> enqueueWithShortTtl(keyedJob(dropped.idempotencyKey()),
        keyedJob(purged.idempotencyKey())).stream().allMatch(EnqueueResult::created));
  }

  // ---- admin operations -----------------------------------------------------------------

  @Test
  void peekShowsWaitingJobsInOrderWithoutTakingThem() {
    Job a = job("default", "a");
    Job b = job("default", "b");
    enqueue(a, b);

    assertThat(backend.peek(queue, "default", 10)).extracting(Job::id).containsExactly(a.id(), b.id());
    assertThat(backend.peek(queue, "default", 1)).extracting(Job::id).containsExactly(a.id());
    assertThat(backend.stats(queue).totalWaiting()).isEqualTo(2);
  }

  @Test
  void statsCountEveryStateSeparately() {
    enqueue(job("high", "h"), job("low", "l1"), job("low", "l2"), job("low", "l3"),
        delayedJob("d", Duration.ofHours(1)));
    LeasedJob toFail = fetchOne("high");
    settle(new Settlement.DeadLetter(toFail.lease(), error("x")));
    fetchOne("low");

    QueueStats stats = backend.stats(queue);

    assertThat(stats.waiting()).containsEntry("low", 2L);
    assertThat(stats.waiting().getOrDefault("high", 0L)).isZero();
    assertThat(stats.inFlight()).isEqualTo(1);
    assertThat(stats.delayed()).isEqualTo(1);
    assertThat(stats.dead()).isEqualTo(1);
  }

  @Test
  void queuesListsEveryQueueThatHoldsJobs() {
    enqueue(job("default", "a"));
    assertThat(backend.queues()).contains(queue);
  }

  @Test
  void aHeartbeatWithZeroTtlRecordsTheConsumerAsGone() {
    enqueue(job("default", "a"));
    backend.heartbeat("contract-consumer", queue, List.of(), LONG_LEASE, LONG_LEASE);
    assertThat(backend.stats(queue).consumers()).isEqualTo(1);

    backend.heartbeat("contract-consumer", queue, List.of(), LONG_LEASE, Duration.ZERO);

    assertThat(backend.stats(queue).consumers()).isZero();
  }

  /** A consumer polling a mistyped queue name must not make the name known to admin calls. */
  @Test
  void aQueueOnlyConsumedFromIsNotListed() {
    assertThat(fetch(1, "default")).isEmpty();
    backend.heartbeat("contract-consumer", queue, List.of(), LONG_LEASE, LONG_LEASE);
    backend.recoverExpired(queue, 10);

    assertThat(backend.queues()).doesNotContain(queue);
  }

  @Test
  void twoDeadJobsWithOneProducerGivenIdAreBothKept() {
    // Only ids within one enqueue call are refused as duplicates; separate calls may repeat one.
    Job first = job("default", "first");
    Job second = job("default", "second");
    enqueue(first);
    enqueue(new Job(first.id(), queue, "default", second.payload(), 0, 0, second.createdAt(),
        second.runAt(), Map.of(), null));
    for (LeasedJob leased : fetch(2, "default")) {
      settle(new Settlement.DeadLetter(leased.lease(), error("x")));
    }

    assertThat(backend.stats(queue).dead()).isEqualTo(2);
    assertThat(backend.peekDead(queue, 10)).extracting(letter -> letter.job().payloadAsString())
        .containsExactly("first", "second");
    assertThat(backend.requeueDead(queue, 10)).isEqualTo(2);
    assertThat(backend.peek(queue, "default", 10)).extracting(Job::payloadAsString)
        .containsExactly("first", "second");
  }

  @Test
  void purgeDeadRemovesEveryDeadLetterAndSaysHowMany() {
    enqueue(job("default", "a"), job("default", "b"));
    for (LeasedJob leased : fetch(2, "default")) {
      settle(new Settlement.DeadLetter(leased.lease(), error("x")));
    }

    assertThat(backend.purgeDead(queue)).isEqualTo(2);
    assertThat(backend.peekDead(queue, 10)).isEmpty();
    assertThat(backend.purgeDead(queue)).isZero();
  }

  @Test
  void requeuedDeadLettersRunAgainWithAFreshAttemptCount() {
    Job job = job("default", "second chance");
    enqueue(job);
    settle(new Settlement.DeadLetter(fetchOne().lease(), error("x")));

    assertThat(backend.requeueDead(queue, 10)).isEqualTo(1);

    LeasedJob again = fetchOne();
    assertThat(again.job().id()).isEqualTo(job.id());
    assertThat(again.job().attempt()).isEqualTo(1);
    assertThat(backend.stats(queue).dead()).isZero();
  }

  @Test
  void requeueDeadMovesNoMoreThanItsLimitOldestFirst() {
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Job job = job("default", "d" + i);
      enqueue(job);
      settle(new Settlement.DeadLetter(fetchOne().lease(), error("x")));
      order.add(job.id());
    }

    assertThat(backend.requeueDead(queue, 2)).isEqualTo(2);
    assertThat(backend.peek(queue, "default", 10)).extracting(Job::id).containsExactly(order.get(0), order.get(1));
    assertThat(backend.peekDead(queue, 10)).extracting(DeadLetter::jobId).containsExactly(order.get(2));
  }

  /** A key remembered from the enqueue only would let a long-delayed job be enqueued twice. */
  @Test
  void aDelayedJobHoldsItsKeyPastTheTtl() {
    String key = "delayed-" + UUID.randomUUID();
    Job first = keyedJob(key).withRunAt(
        Instant.now().truncatedTo(ChronoUnit.MILLIS).plus(Duration.ofHours(1)));
    enqueueWithShortTtl(first);
    // Not a timing assertion: past the TTL counted from the enqueue, the key must still hold.
    sleepPast(SHORT_TTL.multipliedBy(2));

    assertThat(enqueueWithShortTtl(keyedJob(key))).containsExactly(new EnqueueResult(first.id(), false));
    assertThat(backend.stats(queue).delayed()).isEqualTo(1);
  }

  // ---- pausing ---------------------------------------------------------------------------

  @Test
  void aPausedQueueGivesNoJobsUntilResumedWhileEverythingElseGoesOn() {
    Job running = job("default", "running");
    enqueue(running);
    LeasedJob leased = fetchOne();

    assertThat(backend.setPaused(queue, true)).isTrue();
    assertThat(backend.setPaused(queue, true)).isFalse();
    Job waiting = job("default", "waiting");
    assertThat(enqueue(waiting)).containsExactly(new EnqueueResult(waiting.id(), true));
    assertThat(fetch(10, "default")).isEmpty();
    assertThat(settle(new Settlement.Ack(leased.lease()))).isTrue();
    assertThat(backend.stats(queue).paused()).isTrue();
    assertThat(backend.stats(queue).totalWaiting()).isEqualTo(1);

    assertThat(backend.setPaused(queue, false)).isTrue();
    assertThat(backend.setPaused(queue, false)).isFalse();
    assertThat(backend.stats(queue).paused()).isFalse();
    assertThat(ids(fetch(10, "default"))).containsExactly(waiting.id());
  }

  @Test
  void aFetchWaitingOnAPausedQueueTakesItsJobsOnceResumed() throws Exception {
    Job job = job("default", "held");
    enqueue(job);
    backend.setPaused(queue, true);
    ExecutorService fetcher = Executors.newSingleThreadExecutor();
    try {
      Future<FetchResult> waiting =
          fetcher.submit(() -> backend.fetch(request(1, LONG_LEASE, PATIENCE, "default")));
      // Not a timing assertion: the fetch is given a moment to block on the paused queue.
      Thread.sleep(200);
      backend.setPaused(queue, false);

      assertThat(ids(waiting.get(PATIENCE.toMillis() * 2, TimeUnit.MILLISECONDS).jobs()))
          .containsExactly(job.id());
    } finally {
      fetcher.shutdownNow();
    }
  }

  // ---- one job by id ---------------------------------------------------------------------

  @Test
  void deleteJobRemovesTheWaitingOrDelayedJobWithThatIdOnly() {
    Job waiting = job("default", "waiting");
    Job other = job("default", "other");
    Job delayed = delayedJob("delayed", Duration.ofHours(1));
    enqueue(waiting, other, delayed);

    assertThat(backend.deleteJob(queue, waiting.id())).isEqualTo(1);
    assertThat(backend.deleteJob(queue, delayed.id())).isEqualTo(1);
    assertThat(backend.deleteJob(queue, waiting.id())).isZero();
    assertThat(backend.deleteJob(queue, "no-such-job")).isZero();

    assertThat(backend.peek(queue, "default", 10)).extracting(Job::id).containsExactly(other.id());
    assertThat(backend.stats(queue).delayed()).isZero();
    assertThat(fetchOne().job().id()).isEqualTo(other.id());
  }

  /** More jobs than one window of the Redis walk, in two lanes, with one id given twice. */
  @Test
  void deleteJobFindsEveryJobWithTheIdAmongManyInEveryLane() {
    List<Job> many = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      many.add(job("default", "filler " + i));
    }
    Job target = many.get(1_234);
    backend.enqueue(many, TTL);
    enqueue(new Job(target.id(), queue, "high", target.payload(), 0, 0, target.createdAt(),
        target.runAt(), Map.of(), null));

    assertThat(backend.deleteJob(queue, target.id())).isEqualTo(2);

    QueueStats stats = backend.stats(queue);
    assertThat(stats.waiting()).containsEntry("default", 2_499L).containsEntry("high", 0L);
    assertThat(backend.peek(queue, "default", 2_500)).extracting(Job::id).doesNotContain(target.id())
        .containsSubsequence(many.get(1_233).id(), many.get(1_235).id());
  }

  @Test
  void deleteJobLeavesALeasedJobRunning() {
    Job job = job("default", "running");
    enqueue(job);
    LeasedJob leased = fetchOne();

    assertThat(backend.deleteJob(queue, job.id())).isZero();
    assertThat(settle(new Settlement.Ack(leased.lease()))).isTrue();
  }

  /** A producer retrying the enqueue of a deleted job must not bring it back. */
  @Test
  void aDeletedJobKeepsItsIdempotencyKey() {
    Job keyed = keyedJob("order-" + UUID.randomUUID());
    enqueue(keyed);
    backend.deleteJob(queue, keyed.id());

    Job again = keyedJob(keyed.idempotencyKey());
    assertThat(enqueue(again)).containsExactly(new EnqueueResult(keyed.id(), false));
    assertThat(backend.stats(queue).totalWaiting()).isZero();
  }

  @Test
  void aDeletedJobsKeyIsKnownForItsTtlFromTheDeletion() {
    Job waiting = keyedJob("deleted-" + UUID.randomUUID());
    enqueueWithShortTtl(waiting);
    sleepPast(SHORT_TTL.multipliedBy(2));
    assertThat(backend.deleteJob(queue, waiting.id())).isEqualTo(1);

    Job again = keyedJob(waiting.idempotencyKey());
    await().atMost(PATIENCE).until(() -> enqueueWithShortTtl(again).get(0).created());
    assertThat(backend.stats(queue).totalWaiting()).isEqualTo(1);
  }

  @Test
  void deadLettersOfOneJobAreDeletedOrRequeuedByItsId() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Job job = job("default", "dead " + i);
      enqueue(job);
      settle(new Settlement.DeadLetter(fetchOne().lease(), error("x")));
      ids.add(job.id());
    }

    assertThat(backend.requeueDeadJob(queue, ids.get(1))).isEqualTo(1);
    assertThat(backend.deleteDeadJob(queue, ids.get(2))).isEqualTo(1);
    assertThat(backend.requeueDeadJob(queue, ids.get(1))).isZero();
    assertThat(backend.deleteDeadJob(queue, "no-such-job")).isZero();

    assertThat(backend.peekDead(queue, 10)).extracting(DeadLetter::jobId).containsExactly(ids.get(0));
    LeasedJob again = fetchOne();
    assertThat(again.job().id()).isEqualTo(ids.get(1));
    assertThat(again.job().attempt()).isEqualTo(1);
  }

  /** More dead letters than one window of the Redis walk; the requeued one keeps its lane. */
  @Test
  void deadLettersOfOneJobAreFoundAmongMany() {
    List<Job> many = new ArrayList<>();
    for (int i = 0; i < 1_500; i++) {
      many.add(job(i == 200 ? "high" : "default", "dead " + i));
    }
    backend.enqueue(many, TTL);
    List<Settlement> deaths = new ArrayList<>();
    for (LeasedJob leased : fetchAll(1_500, "high", "default")) {
      deaths.add(new Settlement.DeadLetter(leased.lease(), error("x")));
    }
    backend.settle(deaths);
    String wanted = many.get(200).id();

    assertThat(backend.requeueDeadJob(queue, wanted)).isEqualTo(1);
    assertThat(backend.deleteDeadJob(queue, many.get(1_400).id())).isEqualTo(1);

    assertThat(backend.stats(queue).dead()).isEqualTo(1_498);
    assertThat(backend.peek(queue, "high", 10)).extracting(Job::id).containsExactly(wanted);
  }

  /** Fetches until {@code count} jobs are leased, in fetches of at most 500. */
  private List<LeasedJob> fetchAll(int count, String... priorities) {
    List<LeasedJob> all = new ArrayList<>();
    while (all.size() < count) {
      List<LeasedJob> got = fetch(Math.min(500, count - all.size()), priorities);
      assertThat(got).isNotEmpty();
      all.addAll(got);
    }
    return all;
  }

  @Test
  void pingAnswersWhileTheBackendIsUp() {
    backend.ping();
  }

  // ---- poison data ----------------------------------------------------------------------

  @Test
  void undecodableDataGoesToTheDeadLetterQueueAndTheNextJobStillRuns() {
    String poisonId = "poison-" + UUID.randomUUID();
    Assumptions.assumeTrue(storeUndecodable(backend, queue, "default", poisonId),
        "this backend cannot hold undecodable data");
    Job good = job("default", "good");
    enqueue(good);

    List<LeasedJob> taken = new ArrayList<>();
    List<String> poisoned = new ArrayList<>();
    await().atMost(PATIENCE).until(() -> {
      FetchResult result = fetchWith(request(10, LONG_LEASE, Duration.ZERO, "default"));
      taken.addAll(result.jobs());
      result.poisoned().forEach(entry -> poisoned.add(entry.reason()));
      return !taken.isEmpty();
    });

    assertThat(ids(taken)).containsExactly(good.id());
    assertThat(poisoned).hasSize(1);
    assertThat(backend.peekDead(queue, 10)).hasSize(1);
    assertThat(backend.peekDead(queue, 10).get(0).error().message()).isNotBlank();
  }

  @Test
  void undecodableDataIsDeletedByItsIdButNeverRequeued() {
    String poisonId = "poison-" + UUID.randomUUID();
    Assumptions.assumeTrue(storeUndecodable(backend, queue, "default", poisonId),
        "this backend cannot hold undecodable data");
    String waitingId = "poison-" + UUID.randomUUID();
    storeUndecodable(backend, queue, "default", waitingId);
    Job good = job("default", "good");
    enqueue(good);
    // The first entry is taken, found undecodable and dead-lettered; the others stay waiting.
    assertThat(fetchWith(request(1, LONG_LEASE, Duration.ZERO, "default")).poisoned()).hasSize(1);

    assertThat(backend.requeueDeadJob(queue, poisonId)).isZero();
    assertThat(backend.deleteDeadJob(queue, poisonId)).isEqualTo(1);
    assertThat(backend.deleteJob(queue, waitingId)).isEqualTo(1);
    assertThat(backend.stats(queue).dead()).isZero();
    assertThat(backend.peek(queue, "default", 10)).extracting(Job::id).containsExactly(good.id());
  }

  // ---- through producer and consumer ----------------------------------------------------

  @Test
  void consumerProcessesEveryJobExactlyOnceWhenNothingFails() {
    Set<String> enqueued = new HashSet<>();
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    try (Producer producer = Producer.builder(backend).defaultQueue(queue).build();
        Consumer consumer = Consumer.builder(backend,
                job -> runs.computeIfAbsent(job.id(), id -> new AtomicInteger()).incrementAndGet())
            .queue(queue).concurrency(4).fetchWait(Duration.ofMillis(200)).build()) {
      List<NewJob> jobs = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        jobs.add(NewJob.of("n" + i));
      }
      producer.enqueueAll(jobs).forEach(result -> enqueued.add(result.jobId()));
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats(queue).completed() >= 500
          || backend.stats(queue).pending() == 0 && runs.size() == 500);
    }
    assertThat(runs.keySet()).isEqualTo(enqueued);
    assertThat(runs.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
  }

  @Test
  void consumerRetriesAFailingJobUntilItSucceeds() {
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    try (Producer producer = Producer.builder(backend).defaultQueue(queue).build();
        Consumer consumer = Consumer.builder(backend, job -> {
              attempts.add(job.attempt());
              if (job.attempt() < 3) {
                throw new IllegalStateException("attempt " + job.attempt() + " fails");
              }
            })
            .queue(queue).fetchWait(Duration.ofMillis(200))
            .retryPolicy(RetryPolicy.builder().maxAttempts(3).initialBackoff(Duration.ofMillis(20))
                .maxBackoff(Duration.ofMillis(50)).build())
            .build()) {
      producer.enqueue("flaky");
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats(queue).completed() == 1);
    }
    assertThat(attempts).containsExactly(1, 2, 3);
    assertThat(backend.stats(queue).dead()).isZero();
  }

  @Test
  void consumerDeadLettersAJobThatAlwaysFailsWithItsLastError() {
    try (Producer producer = Producer.builder(backend).defaultQueue(queue).build();
        Consumer consumer = Consumer.builder(backend, job -> {
              throw new IllegalArgumentException("bad input on attempt " + job.attempt());
            })
            .queue(queue).fetchWait(Duration.ofMillis(200))
            .retryPolicy(RetryPolicy.builder().maxAttempts(2).initialBackoff(Duration.ofMillis(20))
                .maxBackoff(Duration.ofMillis(50)).build())
            .build()) {
      producer.enqueue("doomed");
      consumer.start();
      await().atMost(PATIENCE).until(() -> backend.stats(queue).dead() == 1);
    }
    DeadLetter dead = backend.peekDead(queue, 1).get(0);
    assertThat(dead.error().type()).isEqualTo(IllegalArgumentException.class.getName());
    assertThat(dead.error().message()).isEqualTo("bad input on attempt 2");
  }

  @Test
  void closingAConsumerReturnsJobsThatOutlastTheDrainTimeout() {
    CountDownLatch started = new CountDownLatch(2);
    try (Producer producer = Producer.builder(backend).defaultQueue(queue).build()) {
      Consumer consumer = Consumer.builder(backend, job -> {
            started.countDown();
            Thread.sleep(PATIENCE.toMillis() * 10);
          })
          .queue(queue).concurrency(2).fetchWait(Duration.ofMillis(200))
          .drainTimeout(Duration.ofMillis(200)).build();
      producer.enqueue("slow-1");
      producer.enqueue("slow-2");
      consumer.start();
      await().atMost(PATIENCE).until(() -> started.getCount() == 0);

      consumer.close();
    }
    QueueStats stats = backend.stats(queue);
    assertThat(stats.totalWaiting()).isEqualTo(2);
    assertThat(stats.inFlight()).isZero();
    assertThat(backend.peek(queue, "default", 10)).allSatisfy(job -> assertThat(job.attempt()).isZero());
  }

  @Test
  void closingAConsumerLetsShortJobsFinish() {
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger finished = new AtomicInteger();
    try (Producer producer = Producer.builder(backend).defaultQueue(queue).build()) {
      Consumer consumer = Consumer.builder(backend, job -> {
            started.countDown();
            Thread.sleep(300);
            finished.incrementAndGet();
          })
          .queue(queue).fetchWait(Duration.ofMillis(200)).drainTimeout(PATIENCE).build();
      producer.enqueue("short");
      consumer.start();
      await().atMost(PATIENCE).until(() -> started.getCount() == 0);

      consumer.close();
    }
    assertThat(finished.get()).isEqualTo(1);
    assertThat(backend.stats(queue).completed()).isEqualTo(1);
    assertThat(backend.stats(queue).pending()).isZero();
  }

  /** A closed backend never answers again: calls say so, and a consumer left on it stops by itself. */
  @Test
  void aClosedBackendRefusesCallsAsClosedAndAConsumerLeftOnItStops() {
    Consumer consumer =
        Consumer.builder(backend, job -> {}).queue(queue).fetchWait(Duration.ofMillis(100)).build();
    consumer.start();
    await().atMost(PATIENCE).until(() -> consumer.state() == ConsumerState.RUNNING);

    backend.close();

    await().atMost(PATIENCE).until(() -> consumer.state() == ConsumerState.STOPPED);
    consumer.close(); // already stopped: returns at once
    assertThatThrownBy(() -> enqueue(job("default", "after close")))
        .isInstanceOf(BackendClosedException.class);
    assertThatThrownBy(() -> backend.stats(queue)).isInstanceOf(BackendClosedException.class);
  }

  private static void sleepPast(Duration duration) {
    try {
      Thread.sleep(duration.toMillis() + 100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
