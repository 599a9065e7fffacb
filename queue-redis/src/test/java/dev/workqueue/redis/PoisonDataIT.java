package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Consumer;
import dev.workqueue.DeadLetter;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.Producer;
import dev.workqueue.QueueStats;
import dev.workqueue.redis.internal.JobCodec;
import dev.workqueue.redis.internal.QueueKeys;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.FetchResult;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import dev.workqueue.testkit.redis.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** Foreign data in a queue's keys goes to the dead-letter queue; the consumer keeps running. */
class PoisonDataIT {
  private static RedisServer redis;
  private static RedisClient raw;

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.builder().start();
    raw = RedisClient.create(redis.url());
  }

  @AfterAll
  static void stopRedis() {
    raw.close();
    redis.close();
  }

  private static RedisQueueBackend backend() {
    return RedisQueueBackend.builder().url(redis.url()).namespace("poison").build();
  }

  @Test
  void foreignEntriesInALaneAndTheDelayedSetAreDeadLetteredAndGoodJobsStillRun() {
    QueueKeys keys = QueueKeys.of("poison", "mixed");
    raw.rpush(keys.lane("default"), "{\"legacy\":\"json job\"}".getBytes(StandardCharsets.UTF_8));
    raw.zadd(keys.delayed(), 0, new byte[] {1, 2});
    // Starts like a format-1 element, so only the Java decoder finds it broken: priority length 65535.
    byte[] brokenHeader = new byte[20];
    brokenHeader[0] = 1;
    brokenHeader[13] = (byte) 0xFF;
    brokenHeader[14] = (byte) 0xFF;
    raw.rpush(keys.lane("default"), brokenHeader);
    Set<String> ran = ConcurrentHashMap.newKeySet();
    try (RedisQueueBackend backend = backend();
        Producer producer = Producer.builder(backend).defaultQueue("mixed").build();
        Consumer consumer = Consumer.builder(backend, job -> ran.add(job.payloadAsString()))
            .queue("mixed").fetchWait(Duration.ofMillis(200)).build()) {
      producer.enqueue("good-1");
      consumer.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> ran.contains("good-1"));
      producer.enqueue("good-2");
      await().atMost(Duration.ofSeconds(20)).until(() -> ran.contains("good-2"));

      List<DeadLetter> dead = backend.peekDead("mixed", 10);
      assertThat(dead).hasSize(3).allSatisfy(letter -> {
        assertThat(letter.job()).isNull();
        assertThat(letter.jobId()).startsWith("undecodable-");
        assertThat(letter.error().type()).isEqualTo("undecodable");
      });
      assertThat(dead).extracting(letter -> letter.error().message()).containsExactlyInAnyOrder(
          "delayed entry is not a job element of format 1", "waiting entry is not a job element of format 1",
          "job element is truncated (20 bytes)");
      assertThat(backend.requeueDead("mixed", 10)).as("undecodable entries stay dead").isZero();
      QueueStats stats = backend.stats("mixed");
      assertThat(stats.dead()).isEqualTo(3);
      assertThat(stats.inFlight()).isZero();
    }
  }

  /** Skipped by peekDead, such an entry was counted by stats but listed nowhere and undeletable by id. */
  @Test
  void anUnreadableDeadLetterEntryIsListedAndDeletedByItsUndecodableIdButNeverRequeued() {
    QueueKeys keys = QueueKeys.of("poison", "unreadable");
    byte[] deleted = "foreign dead letter".getBytes(StandardCharsets.UTF_8);
    byte[] kept = {2, 0, 1};
    raw.rpush(keys.dead(), deleted, kept);
    try (RedisQueueBackend backend = backend()) {
      assertThat(backend.peekDead("unreadable", 10)).extracting(DeadLetter::jobId, DeadLetter::job,
              letter -> letter.error().type())
          .containsExactly(tuple(JobCodec.undecodableId(deleted), null, "unreadable"),
              tuple(JobCodec.undecodableId(kept), null, "unreadable"));

      assertThat(backend.requeueDeadJob("unreadable", JobCodec.undecodableId(kept))).isZero();
      assertThat(backend.deleteDeadJob("unreadable", JobCodec.undecodableId(deleted))).isEqualTo(1);

      assertThat(raw.lrange(keys.dead(), 0, -1)).containsExactly(kept);
    }
  }

  @Test
  void requeueDeadMovesTheLettersBehindUndecodableOnesAndLeavesThoseInPlace() throws InterruptedException {
    QueueKeys keys = QueueKeys.of("poison", "requeue");
    Instant now = Instant.now();
    try (RedisQueueBackend backend = backend()) {
      raw.rpush(keys.dead(), "undecodable-1".getBytes(StandardCharsets.UTF_8));
      raw.rpush(keys.dead(), "undecodable-2".getBytes(StandardCharsets.UTF_8));
      List<String> good = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Job job = new Job("good-" + i, "requeue", "default", new byte[] {1}, 0, 0, now, now, Map.of(), null);
        backend.enqueue(List.of(job), Duration.ofHours(1));
        LeasedJob leased = backend.fetch(new FetchRequest("c", "requeue", List.of("default"), 1,
            Duration.ofMinutes(1), Duration.ZERO)).jobs().get(0);
        backend.settle(List.of(new Settlement.DeadLetter(leased.lease(), new JobError("x", "y", now))));
        good.add(job.id());
      }
      raw.rpush(keys.dead(), "undecodable-3".getBytes(StandardCharsets.UTF_8));

      assertThat(backend.requeueDead("requeue", 2)).isEqualTo(2);
      assertThat(backend.peek("requeue", "default", 10)).extracting(Job::id)
          .containsExactly(good.get(0), good.get(1));
      assertThat(raw.lrange(keys.dead(), 0, -1))
          .extracting(entry -> new String(entry, StandardCharsets.UTF_8))
          .as("undecodable letters keep their places around the one left")
          .hasSize(4).startsWith("undecodable-1", "undecodable-2").endsWith("undecodable-3");

      assertThat(backend.requeueDead("requeue", 10)).isEqualTo(1);
      assertThat(backend.peek("requeue", "default", 10)).extracting(Job::id).containsExactlyElementsOf(good);
      assertThat(raw.lrange(keys.dead(), 0, -1))
          .extracting(entry -> new String(entry, StandardCharsets.UTF_8))
          .containsExactly("undecodable-1", "undecodable-2", "undecodable-3");
    }
  }

  /**
   * A job element cut short still reads as a job to the scripts, which see only its header; the
   * Java decoder finds it broken and dead-letters it as undecodable. Requeueing must leave it
   * there rather than send it round the lane and the dead-letter queue again.
   */
  @Test
  void requeueDeadLeavesAJobThatDidNotDecodeInJavaWhereItIs() throws InterruptedException {
    QueueKeys keys = QueueKeys.of("poison", "cut");
    Instant now = Instant.now();
    try (RedisQueueBackend backend = backend()) {
      Job job = new Job("cut-short", "cut", "default", new byte[] {1, 2, 3}, 0, 0, now, now, Map.of(), null);
      backend.enqueue(List.of(job), Duration.ofHours(1));
      byte[] element = raw.lpop(keys.lane("default"));
      raw.rpush(keys.lane("default"), Arrays.copyOf(element, element.length - 1));
      FetchResult fetched = backend.fetch(new FetchRequest("c", "cut", List.of("default"), 1,
          Duration.ofMinutes(1), Duration.ZERO));
      assertThat(fetched.jobs()).isEmpty();
      assertThat(fetched.poisoned()).hasSize(1);

      assertThat(backend.requeueDead("cut", 10)).isZero();

      QueueStats stats = backend.stats("cut");
      assertThat(stats.dead()).isEqualTo(1);
      assertThat(stats.totalWaiting()).isZero();
    }
  }

  /**
   * An id that is not UTF-8 reads as replacement characters, and a settlement naming that id never
   * matches the stored bytes: the job would be delivered again and again and never reach the
   * dead-letter queue, not even past its attempts.
   */
  @Test
  void aJobWhoseIdIsNotUtf8IsDeadLetteredInsteadOfBeingDeliveredForEver() throws InterruptedException {
    QueueKeys keys = QueueKeys.of("poison", "latin1");
    Instant now = Instant.now();
    byte[] element = JobCodec.encode(new Job("cafe", "latin1", "default", new byte[0], 0, 0, now, now,
        Map.of(), null));
    // "café" as a foreign writer in ISO-8859-1 would store it: E9, which is not UTF-8.
    element[indexOf(element, "cafe".getBytes(StandardCharsets.UTF_8)) + 3] = (byte) 0xE9;
    raw.rpush(keys.lane("default"), element);
    try (RedisQueueBackend backend = backend()) {
      FetchResult fetched = backend.fetch(new FetchRequest("c", "latin1", List.of("default"), 1,
          Duration.ofMinutes(1), Duration.ZERO));

      assertThat(fetched.jobs()).isEmpty();
      assertThat(fetched.poisoned()).singleElement()
          .satisfies(entry -> assertThat(entry.reason()).contains("UTF-8"));
      QueueStats stats = backend.stats("latin1");
      assertThat(stats.dead()).isEqualTo(1);
      assertThat(stats.inFlight()).isZero();
    }
  }

  private static int indexOf(byte[] data, byte[] part) {
    for (int i = 0; i + part.length <= data.length; i++) {
      if (Arrays.equals(data, i, i + part.length, part, 0, part.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  @Test
  void aLaneFullOfForeignEntriesIsClearedOverSeveralFetchesWithoutLosingTheJobBehindThem()
      throws InterruptedException {
    QueueKeys keys = QueueKeys.of("poison", "flooded");
    byte[][] foreign = new byte[2_500][];
    for (int i = 0; i < foreign.length; i++) {
      foreign[i] = ("foreign-" + i).getBytes(StandardCharsets.UTF_8);
    }
    raw.rpush(keys.lane("default"), foreign);
    try (RedisQueueBackend backend = backend()) {
      Instant now = Instant.now();
      backend.enqueue(List.of(new Job("behind", "flooded", "default", new byte[0], 0, 0, now, now, Map.of(), null)),
          Duration.ofHours(1));
      FetchRequest request = new FetchRequest("c", "flooded", List.of("default"), 10, Duration.ofMinutes(1),
          Duration.ZERO);

      List<FetchResult> results = new ArrayList<>();
      FetchResult result;
      do {
        result = backend.fetch(request);
        results.add(result);
      } while (result.jobs().isEmpty() && results.size() < 10);

      assertThat(results).allSatisfy(each -> assertThat(each.poisoned()).hasSizeLessThanOrEqualTo(1_000));
      assertThat(result.jobs()).extracting(leased -> leased.job().id()).containsExactly("behind");
      assertThat(results).flatExtracting(FetchResult::poisoned).hasSize(2_500);
      assertThat(backend.stats("flooded").dead()).isEqualTo(2_500);
    }
  }

  @Test
  void jobsTakenWithAnUndecodableEntryAreHandedOutEvenWhenDeadLetteringItFails()
      throws InterruptedException {
    QueueKeys keys = QueueKeys.of("poison", "unsettled");
    // Starts like a format-1 element, so only the Java decoder finds it broken.
    byte[] brokenHeader = new byte[20];
    brokenHeader[0] = 1;
    brokenHeader[13] = (byte) 0xFF;
    brokenHeader[14] = (byte) 0xFF;
    raw.rpush(keys.lane("default"), brokenHeader);
    // A dead-letter key of the wrong type makes the script that dead-letters it fail.
    raw.set(keys.dead(), "not a list".getBytes(StandardCharsets.UTF_8));
    try (RedisQueueBackend backend = backend()) {
      Instant now = Instant.now();
      backend.enqueue(List.of(new Job("good", "unsettled", "default", new byte[0], 0, 0, now, now, Map.of(), null)),
          Duration.ofHours(1));

      FetchResult result = backend.fetch(new FetchRequest("c", "unsettled", List.of("default"), 2,
          Duration.ofMinutes(1), Duration.ZERO));

      assertThat(result.jobs()).extracting(leased -> leased.job().id()).containsExactly("good");
      assertThat(result.poisoned()).as("not dead-lettered, so not reported as such").isEmpty();
      raw.del(keys.dead());
      assertThat(backend.stats("unsettled").inFlight()).as("the broken entry keeps its lease").isEqualTo(2);
    }
  }
}
