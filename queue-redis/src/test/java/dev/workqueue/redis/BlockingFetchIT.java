package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Job;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.FetchResult;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.RedisClient;

/**
 * Idle fetches block on the server and are woken by wake-up tokens: no wake-up is lost when
 * several consumers wait, and a token for one lane does not leave a consumer of another lane
 * asleep. Fetches wait far longer than the test's patience, so a lost wake-up fails the test.
 */
class BlockingFetchIT {
  private static final Duration LONG_WAIT = Duration.ofMinutes(2);
  private static final long PATIENCE_SECONDS = 20;
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();
  private RedisQueueBackend backend;
  private ExecutorService fetchers;

  @BeforeEach
  void open() {
    backend = RedisQueueBackend.builder().url(redis.url())
        .namespace("blocking-" + UUID.randomUUID().toString().substring(0, 8)).build();
    fetchers = Executors.newCachedThreadPool();
  }

  @AfterEach
  void close() {
    fetchers.shutdownNow();
    backend.close();
  }

  @Test
  void aBatchWakesAsManyBlockedConsumersAsItHasJobs() throws Exception {
    List<Future<FetchResult>> waiting = new ArrayList<>();
    CountDownLatch started = new CountDownLatch(4);
    for (int i = 0; i < 4; i++) {
      waiting.add(blockedFetch("consumer-" + i, List.of("default"), started));
    }
    started.await();

    backend.enqueue(List.of(job("default"), job("default"), job("default"), job("default")), Duration.ofHours(1));

    List<String> taken = new ArrayList<>();
    for (Future<FetchResult> fetch : waiting) {
      fetch.get(PATIENCE_SECONDS, TimeUnit.SECONDS).jobs().forEach(leased -> taken.add(leased.job().id()));
    }
    assertThat(taken).hasSize(4).doesNotHaveDuplicates();
  }

  @Test
  void aJobWakesTheConsumerOfItsLaneWhileAnotherLaneIsIdle() throws Exception {
    CountDownLatch started = new CountDownLatch(2);
    Future<FetchResult> high = blockedFetch("high-only", List.of("high"), started);
    Future<FetchResult> low = blockedFetch("low-only", List.of("low"), started);
    started.await();
    Job lowJob = job("low");

    backend.enqueue(List.of(lowJob), Duration.ofHours(1));

    assertThat(low.get(PATIENCE_SECONDS, TimeUnit.SECONDS).jobs()).extracting(leased -> leased.job().id())
        .containsExactly(lowJob.id());
    assertThat(high).isNotDone();
    Job highJob = job("high");
    backend.enqueue(List.of(highJob), Duration.ofHours(1));
    assertThat(high.get(PATIENCE_SECONDS, TimeUnit.SECONDS).jobs()).extracting(LeasedJob::job)
        .extracting(Job::id).containsExactly(highJob.id());
  }

  /**
   * BLPOP ignores a thread's interrupt; without the interrupter the fetch would go on waiting
   * until its single block of up to five seconds ends, so the bound of three seconds separates
   * the two with a wide margin on either side.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void anInterruptedFetchStopsWaitingOnTheServerAtOnce(boolean callerOwnsTheClient) throws Exception {
    try (RedisClient client = RedisClient.create(redis.url());
        RedisQueueBackend fetching = callerOwnsTheClient
            ? RedisQueueBackend.builder().client(client).namespace(backend.namespace()).build()
            : backend) {
      AtomicReference<Thread> fetcher = new AtomicReference<>();
      Future<FetchResult> fetch = fetchers.submit(() -> {
        fetcher.set(Thread.currentThread());
        return fetching.fetch(new FetchRequest("interrupted", "q", List.of("default"), 1,
            Duration.ofMinutes(5), LONG_WAIT));
      });
      await().atMost(Duration.ofSeconds(PATIENCE_SECONDS)).until(() -> blockedClients() == 1);

      fetcher.get().interrupt();

      assertThatThrownBy(() -> fetch.get(3, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(InterruptedException.class);
      assertThat(blockedClients()).isZero();
      // The wake-up went to the interrupted fetch alone: a job enqueued now is still waiting.
      backend.enqueue(List.of(job("default")), Duration.ofHours(1));
      assertThat(backend.stats("q").waiting()).containsEntry("default", 1L);
    }
  }

  private static long blockedClients() throws IOException {
    Matcher count = Pattern.compile("blocked_clients:(\\d+)")
        .matcher(redis.server().command("INFO", "clients"));
    assertThat(count.find()).isTrue();
    return Long.parseLong(count.group(1));
  }

  private Future<FetchResult> blockedFetch(String consumer, List<String> lanes, CountDownLatch started) {
    return fetchers.submit(() -> {
      started.countDown();
      return backend.fetch(new FetchRequest(consumer, "q", lanes, 1, Duration.ofMinutes(5), LONG_WAIT));
    });
  }

  private static Job job(String priority) {
    Instant now = Instant.now();
    return new Job(UUID.randomUUID().toString(), "q", priority, new byte[] {1}, 0, 0, now, now, Map.of(), null);
  }
}
