package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.DeadLetter;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.redis.internal.JobCodec;
import dev.workqueue.redis.internal.QueueKeys;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.FetchResult;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** The Redis backend bounds its dead-letter lists by count and age in every script that dead-letters. */
class DeadLetterRetentionIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private RedisClient raw;
  private String namespace;
  private byte[] dead;

  @BeforeEach
  void connect() {
    raw = RedisClient.create(redis.url());
    namespace = "retention-" + UUID.randomUUID().toString().substring(0, 8);
    dead = QueueKeys.of(namespace, "q").dead();
  }

  @AfterEach
  void disconnect() {
    raw.close();
  }

  @Test
  void undecodableEntriesTheFetchDeadLettersAreTrimmedToTheLimit() throws InterruptedException {
    try (RedisQueueBackend backend = builder().deadLetterLimit(2).build()) {
      byte[][] junk = new byte[5][];
      for (int i = 0; i < junk.length; i++) {
        junk[i] = ("junk-" + i).getBytes(StandardCharsets.UTF_8);
        raw.rpush(QueueKeys.of(namespace, "q").lane("default"), junk[i]);
      }

      FetchResult result = backend.fetch(new FetchRequest("c", "q", List.of("default"), 10,
          Duration.ofMinutes(1), Duration.ZERO));

      assertThat(result.poisoned()).hasSize(5);
      assertThat(backend.peekDead("q", 10)).extracting(DeadLetter::jobId)
          .containsExactly(JobCodec.undecodableId(junk[3]), JobCodec.undecodableId(junk[4]));
    }
  }

  @Test
  void undecodableLeasesTheRecoveryDeadLettersAreTrimmedToTheLimit() {
    try (RedisQueueBackend backend = builder().deadLetterLimit(1).build()) {
      QueueKeys keys = QueueKeys.of(namespace, "q");
      byte[] first = "leased junk 1".getBytes(StandardCharsets.UTF_8);
      byte[] second = "leased junk 2".getBytes(StandardCharsets.UTF_8);
      raw.hset(keys.leases(), "1".getBytes(StandardCharsets.US_ASCII), first);
      raw.hset(keys.leases(), "2".getBytes(StandardCharsets.US_ASCII), second);
      raw.zadd(keys.deadlines(), 1, "1".getBytes(StandardCharsets.US_ASCII));
      raw.zadd(keys.deadlines(), 2, "2".getBytes(StandardCharsets.US_ASCII));

      assertThat(backend.recoverExpired("q", 10)).isEmpty();

      assertThat(backend.peekDead("q", 10)).extracting(DeadLetter::jobId)
          .containsExactly(JobCodec.undecodableId(second));
      assertThat(backend.stats("q").inFlight()).isZero();
    }
  }

  @Test
  void lettersPastTheAgeGoAtTheNextDeadLetteringEvenWhenTheListHasNoTtl() throws InterruptedException {
    Duration age = Duration.ofMillis(500);
    try (RedisQueueBackend backend = builder().deadLetterAge(age).build()) {
      deadLetter(backend, "old", Instant.now());
      // Without its TTL the list is kept, so only the trim of the next dead-lettering can delete the letter.
      assertThat(raw.persist(dead)).isEqualTo(1);
      long deadLetteredAt = ByteBuffer.wrap(raw.lindex(dead, 0)).getLong(1);
      await().atMost(PATIENCE).until(() -> serverMillis() > deadLetteredAt + age.toMillis());

      deadLetter(backend, "new", Instant.now());

      assertThat(backend.peekDead("q", 10)).extracting(DeadLetter::jobId).containsExactly("new");
      assertThat(raw.pttl(dead)).isPositive().isLessThanOrEqualTo(age.toMillis());
    }
  }

  @Test
  void ageCountsFromTheDeadLetteringOnTheServerNotFromTheConsumersErrorTime() throws InterruptedException {
    Instant longAgo = Instant.now().minus(Duration.ofDays(2)).truncatedTo(ChronoUnit.MILLIS);
    try (RedisQueueBackend backend = builder().deadLetterAge(Duration.ofDays(1)).build()) {
      deadLetter(backend, "first", longAgo);
      deadLetter(backend, "second", longAgo);

      List<DeadLetter> letters = backend.peekDead("q", 10);
      assertThat(letters).extracting(DeadLetter::jobId).containsExactly("first", "second");
      assertThat(letters.get(0).error().at()).as("the error keeps the consumer's time").isEqualTo(longAgo);
    }
  }

  @Test
  void theListExpiresAfterTheAgeFromItsNewestLetter() throws InterruptedException {
    try (RedisQueueBackend backend = builder().deadLetterAge(Duration.ofHours(1)).build()) {
      deadLetter(backend, "doomed", Instant.now());

      assertThat(raw.pttl(dead)).isPositive().isLessThanOrEqualTo(Duration.ofHours(1).toMillis());
    }
  }

  @Test
  void withoutAConfiguredAgeTheListGetsNoTtl() throws InterruptedException {
    try (RedisQueueBackend defaults = builder().build();
        RedisQueueBackend longest = RedisQueueBackend.builder().url(redis.url())
            .namespace(namespace + "-longest").deadLetterAge(Duration.ofDays(3650)).build()) {
      deadLetter(defaults, "kept", Instant.now());
      assertThat(raw.pttl(dead)).as("no TTL: an evicting volatile-* policy must not take it").isEqualTo(-1);

      byte[] longestDead = QueueKeys.of(longest.namespace(), "q").dead();
      deadLetter(longest, "kept too", Instant.now());
      assertThat(raw.pttl(longestDead)).isEqualTo(-1);
    }
  }

  @Test
  void aLimitLoweredBetweenRunsTrimsTheLongerListAtTheNextDeadLettering() throws InterruptedException {
    try (RedisQueueBackend before = builder().build();
        RedisQueueBackend after = builder().deadLetterLimit(2).build()) {
      for (String id : List.of("a", "b", "c")) {
        deadLetter(before, id, Instant.now());
      }
      assertThat(after.stats("q").dead()).as("stats and peeks do not trim").isEqualTo(3);

      deadLetter(after, "d", Instant.now());

      assertThat(after.peekDead("q", 10)).extracting(DeadLetter::jobId).containsExactly("c", "d");
    }
  }

  @Test
  void aTtlLeftByAnEarlierAgeGoesOnceTheAgeIsOff() throws InterruptedException {
    try (RedisQueueBackend aging = builder().deadLetterAge(Duration.ofHours(1)).build();
        RedisQueueBackend keeping = builder().build()) {
      deadLetter(aging, "aged", Instant.now());
      assertThat(raw.pttl(dead)).isPositive();

      deadLetter(keeping, "kept", Instant.now());

      assertThat(raw.pttl(dead)).as("without an age every letter is kept, so the list must not expire")
          .isEqualTo(-1);
    }
  }

  @Test
  void requeueingDeadLettersKeepsTheTtlOfTheUndecodableOnesItLeaves() throws InterruptedException {
    Duration age = Duration.ofHours(1);
    try (RedisQueueBackend backend = builder().deadLetterAge(age).build()) {
      raw.rpush(QueueKeys.of(namespace, "q").lane("default"), "junk".getBytes(StandardCharsets.UTF_8));
      assertThat(backend.fetch(new FetchRequest("c", "q", List.of("default"), 1, Duration.ofMinutes(1),
          Duration.ZERO)).poisoned()).hasSize(1);
      deadLetter(backend, "requeued", Instant.now());

      assertThat(backend.requeueDead("q", 10)).isEqualTo(1);

      assertThat(backend.peekDead("q", 10)).extracting(letter -> letter.error().type())
          .containsExactly("undecodable");
      assertThat(raw.pttl(dead)).as("the letter left must still expire with the age")
          .isPositive().isLessThanOrEqualTo(age.toMillis());
    }
  }

  @Test
  void aFormatOneEntryFromBeforeRetentionIsReadAndAgedByItsErrorTime() throws InterruptedException {
    Instant now = Instant.now();
    byte[] element = JobCodec.encode(new Job("legacy", "q", "default", new byte[] {7}, 2, 3, now, now,
        Map.of(), null));
    raw.rpush(dead, formatOneEntry(now.minus(Duration.ofDays(2)), "legacy", element));
    try (RedisQueueBackend backend = builder().deadLetterAge(Duration.ofDays(1)).build()) {
      assertThat(backend.peekDead("q", 10)).singleElement().satisfies(letter -> {
        assertThat(letter.job().id()).isEqualTo("legacy");
        assertThat(letter.error().type()).isEqualTo("E");
      });

      deadLetter(backend, "new", now);

      assertThat(backend.peekDead("q", 10)).extracting(DeadLetter::jobId).containsExactly("new");
    }
  }

  private RedisQueueBackend.Builder builder() {
    return RedisQueueBackend.builder().url(redis.url()).namespace(namespace);
  }

  private static void deadLetter(RedisQueueBackend backend, String id, Instant errorAt)
      throws InterruptedException {
    Instant now = Instant.now();
    backend.enqueue(List.of(new Job(id, "q", "default", new byte[0], 0, 1, now, now, Map.of(), null)),
        Duration.ofHours(1));
    LeasedJob leased = backend.fetch(new FetchRequest("c", "q", List.of("default"), 1, Duration.ofMinutes(1),
        Duration.ZERO)).jobs().get(0);
    assertThat(backend.settle(List.of(new Settlement.DeadLetter(leased.lease(), new JobError("E", "failed",
        errorAt))))).containsExactly(true);
  }

  private long serverMillis() {
    return (Long) raw.eval("local t = redis.call('TIME') return t[1] * 1000 + math.floor(t[2] / 1000)");
  }

  /** A dead-letter entry as written before retention: no dead-lettering time, only the error's. */
  private static byte[] formatOneEntry(Instant errorAt, String id, byte[] element) {
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 8 + 2 + idBytes.length + 2 + 1 + 4 + element.length)
        .put(JobCodec.FORMAT).putLong(errorAt.toEpochMilli())
        .putShort((short) idBytes.length).put(idBytes)
        .putShort((short) 1).put((byte) 'E')
        .putInt(0)
        .put(element).array();
  }
}
