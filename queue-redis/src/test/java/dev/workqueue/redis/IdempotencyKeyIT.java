package dev.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.EnqueueResult;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.redis.internal.QueueKeys;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.Settlement;
import dev.workqueue.testkit.redis.RedisServerExtension;
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

/**
 * How the Redis backend stores an idempotency key: with no expiry while its job is in the queue,
 * a TTL once the job has left, and a TTL that outlasts a dead-letter list that may expire whole.
 */
class IdempotencyKeyIT {
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  private static final Duration TTL = Duration.ofHours(1);

  private RedisClient raw;
  private String namespace;

  @BeforeEach
  void connect() {
    raw = RedisClient.create(redis.url());
    namespace = "idem-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void disconnect() {
    raw.close();
  }

  @Test
  void aKeyHasNoExpiryWhileItsJobIsQueuedAndItsTtlOnceTheJobIsAcked() throws InterruptedException {
    try (RedisQueueBackend backend = builder().build()) {
      Job job = keyedJob("job-1", "order-1");
      backend.enqueue(List.of(job), TTL);
      byte[] key = idempotencyKey("order-1");
      assertThat(raw.get(key)).asString(StandardCharsets.UTF_8).isEqualTo("job-1\n" + TTL.toMillis());
      assertThat(raw.pttl(key)).isEqualTo(-1);

      LeasedJob leased = fetchOne(backend);
      assertThat(raw.pttl(key)).isEqualTo(-1);
      backend.settle(List.of(new Settlement.Ack(leased.lease())));

      assertThat(raw.pttl(key)).isPositive().isLessThanOrEqualTo(TTL.toMillis());
      assertThat(backend.enqueue(List.of(keyedJob("job-2", "order-1")), TTL))
          .containsExactly(new EnqueueResult("job-1", false));
    }
  }

  @Test
  void aDeadLetterUnderAnAgeLimitGivesItsKeyTheAgePlusTheTtlAndARequeueHoldsItAgain()
      throws InterruptedException {
    Duration age = Duration.ofMinutes(10);
    try (RedisQueueBackend backend = builder().deadLetterAge(age).build()) {
      backend.enqueue(List.of(keyedJob("job-1", "order-1")), TTL);
      LeasedJob leased = fetchOne(backend);
      JobError error = new JobError("boom", "failed", Instant.now().truncatedTo(ChronoUnit.MILLIS));
      backend.settle(List.of(new Settlement.DeadLetter(leased.lease(), error)));

      // The dead list expires whole after the age with no script to release the key: it must go too.
      byte[] key = idempotencyKey("order-1");
      assertThat(raw.pttl(key)).isGreaterThan(TTL.toMillis()).isLessThanOrEqualTo(TTL.plus(age).toMillis());

      assertThat(backend.requeueDeadJob("q", "job-1")).isEqualTo(1);
      assertThat(raw.pttl(key)).isEqualTo(-1);
    }
  }

  /** Releasing a key comes after the ack's first write: a key it cannot read must not stop it. */
  @Test
  void anAckSucceedsWhenItsKeyWasReplacedByAForeignValueOfAnotherType() throws InterruptedException {
    try (RedisQueueBackend backend = builder().build()) {
      backend.enqueue(List.of(keyedJob("job-1", "order-1")), TTL);
      byte[] key = idempotencyKey("order-1");
      raw.del(key);
      raw.rpush(key, "foreign".getBytes(StandardCharsets.UTF_8));

      assertThat(backend.settle(List.of(new Settlement.Ack(fetchOne(backend).lease())))).containsExactly(true);

      assertThat(backend.stats("q").completed()).isEqualTo(1);
      assertThat(raw.type(key)).isEqualTo("list");
    }
  }

  /** A key stored as the plain id with a TTL of its own, as before keys were held, still counts. */
  @Test
  void aKeyStoredAsThePlainIdStillRefusesTheDuplicateAndKeepsItsTtl() {
    try (RedisQueueBackend backend = builder().build()) {
      byte[] key = idempotencyKey("order-1");
      raw.psetex(key, 60_000, "job-0".getBytes(StandardCharsets.UTF_8));

      assertThat(backend.enqueue(List.of(keyedJob("job-1", "order-1")), TTL))
          .containsExactly(new EnqueueResult("job-0", false));

      assertThat(raw.pttl(key)).isPositive().isLessThanOrEqualTo(60_000);
      assertThat(raw.get(key)).asString(StandardCharsets.UTF_8).isEqualTo("job-0");
    }
  }

  private RedisQueueBackend.Builder builder() {
    return RedisQueueBackend.builder().url(redis.url()).namespace(namespace);
  }

  private byte[] idempotencyKey(String key) {
    byte[] prefix = QueueKeys.of(namespace, "q").idempotencyPrefix();
    byte[] name = key.getBytes(StandardCharsets.UTF_8);
    byte[] whole = new byte[prefix.length + name.length];
    System.arraycopy(prefix, 0, whole, 0, prefix.length);
    System.arraycopy(name, 0, whole, prefix.length, name.length);
    return whole;
  }

  private static Job keyedJob(String id, String key) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return new Job(id, "q", "default", new byte[0], 0, 0, now, now, Map.of(), key);
  }

  private static LeasedJob fetchOne(RedisQueueBackend backend) throws InterruptedException {
    List<LeasedJob> jobs = backend.fetch(new FetchRequest("c", "q", List.of("default"), 1,
        Duration.ofMinutes(1), Duration.ZERO)).jobs();
    assertThat(jobs).hasSize(1);
    return jobs.get(0);
  }
}
