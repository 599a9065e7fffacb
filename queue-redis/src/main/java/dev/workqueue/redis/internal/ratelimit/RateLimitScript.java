package dev.workqueue.redis.internal.ratelimit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * {@code rate-limit.lua}, run with EVALSHA. The SHA comes from SCRIPT LOAD on first use; when the
 * server has lost the script (restart, failover, SCRIPT FLUSH) the NOSCRIPT error means nothing
 * ran, so the script is loaded again and the same call repeated.
 */
public final class RateLimitScript {
  private static final String RESOURCE = "/dev/workqueue/redis/rate-limit.lua";
  private static final String SOURCE = read();

  private final UnifiedJedis redis;
  private volatile String sha;

  public RateLimitScript(UnifiedJedis redis) {
    this.redis = redis;
  }

  /**
   * One acquisition attempt.
   *
   * @param key the limiter's key
   * @param intervalMicros the cost of one permit in microseconds
   * @param burst permits that may be taken at once after idleness
   * @param permits permits requested
   * @param longestReservationMicros the longest wait accepted for a reservation of more than
   *     {@code burst} permits
   */
  public Decision run(String key, double intervalMicros, int burst, int permits, long longestReservationMicros) {
    List<String> keys = List.of(key);
    List<String> args = List.of(Double.toString(intervalMicros), Integer.toString(burst),
        Integer.toString(permits), Long.toString(longestReservationMicros));
    String loaded = sha;
    Object reply;
    try {
      reply = redis.evalsha(loaded != null ? loaded : load(key), keys, args);
    } catch (JedisNoScriptException e) {
      reply = redis.evalsha(load(key), keys, args);
    }
    List<?> values = (List<?>) reply;
    return new Decision(((Long) values.get(0)) == 1L, (Long) values.get(1));
  }

  private String load(String key) {
    String loaded = redis.scriptLoad(SOURCE, key);
    sha = loaded;
    return loaded;
  }

  private static String read() {
    try (InputStream in = RateLimitScript.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing script resource " + RESOURCE);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read script resource " + RESOURCE, e);
    }
  }

  /**
   * The script's answer.
   *
   * @param admitted whether the permits were taken (now, or reserved to be used after the wait)
   * @param waitMicros 0 when admitted now; otherwise how long until the permits are due
   */
  public record Decision(boolean admitted, long waitMicros) {}
}
