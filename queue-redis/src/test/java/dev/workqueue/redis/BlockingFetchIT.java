package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.Job;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.FetchResult;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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
