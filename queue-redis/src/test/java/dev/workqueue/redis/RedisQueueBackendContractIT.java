package dev.workqueue.redis;

import dev.workqueue.Job;
import dev.workqueue.redis.internal.JobCodec;
import dev.workqueue.redis.internal.QueueKeys;
import dev.workqueue.spi.QueueBackend;
import dev.workqueue.testkit.QueueBackendContract;
import dev.workqueue.testkit.redis.RedisTarget;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The backend contract suite against a real Redis, each test in its own key namespace: its own
 * {@code redis-server}, or the shared server at {@code REDIS_URL} (as CI's Redis service).
 */
class RedisQueueBackendContractIT extends QueueBackendContract {
  private static RedisTarget redis;
  private static RedisClient raw;

  @BeforeAll
  static void startRedis() {
    redis = RedisTarget.start();
    raw = RedisClient.create(redis.url());
  }

  @AfterAll
  static void stopRedis() throws Exception {
    raw.close();
    redis.close();
  }

  /** A shared server (REDIS_URL) keeps nothing of the test: its namespace's keys are removed. */
  @AfterEach
  void removeTheNamespace() {
    ScanParams ownKeys = new ScanParams().match(namespaceOf(backend) + ":*").count(1_000);
    String cursor = ScanParams.SCAN_POINTER_START;
    do {
      ScanResult<String> page = raw.scan(cursor, ownKeys);
      if (!page.getResult().isEmpty()) {
        raw.unlink(page.getResult().toArray(String[]::new));
      }
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
  }

  @Override
  protected QueueBackend createBackend() {
    return builder().build();
  }

  @Override
  protected QueueBackend createBackend(int deadLetterLimit, Duration deadLetterAge) {
    return builder().deadLetterLimit(deadLetterLimit).deadLetterAge(deadLetterAge).build();
  }

  private static RedisQueueBackend.Builder builder() {
    return RedisQueueBackend.builder().url(redis.url())
        .namespace("contract-" + UUID.randomUUID().toString().substring(0, 8));
  }

  /** Stores a job element whose header reads but whose body is cut short. */
  @Override
  protected boolean storeUndecodable(QueueBackend backend, String queue, String priority, String id) {
    Instant now = Instant.now();
    byte[] whole = JobCodec.encode(new Job(id, queue, priority, "payload".getBytes(StandardCharsets.UTF_8),
        0, 0, now, now, Map.of(), null));
    byte[] truncated = Arrays.copyOf(whole, whole.length - 3);
    String namespace = namespaceOf(backend);
    raw.rpush(QueueKeys.of(namespace, queue).lane(priority), truncated);
    return true;
  }

  private static String namespaceOf(QueueBackend backend) {
    return ((RedisQueueBackend) backend).namespace();
  }
}
