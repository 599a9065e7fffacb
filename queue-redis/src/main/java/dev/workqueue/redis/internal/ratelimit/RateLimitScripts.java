package dev.workqueue.redis.internal.ratelimit;

import dev.workqueue.redis.internal.LuaResources;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * The rate limiter's Lua scripts ({@code rate-limit.lua}, {@code rate-limit-release.lua}) on one
 * client, run with EVALSHA. Each SHA comes from SCRIPT LOAD on first use; when the server has lost
 * a script (restart, failover, SCRIPT FLUSH) the NOSCRIPT error means nothing ran, so the script
 * is loaded again and the same call repeated.
 */
public final class RateLimitScripts {
  private final UnifiedJedis redis;
  private final Script acquire = new Script("rate-limit.lua");
  private final Script release = new Script("rate-limit-release.lua");

  public RateLimitScripts(UnifiedJedis redis) {
    this.redis = redis;
  }

  /**
   * One acquisition: admitted now, booked for later, or refused because it is due later than
   * {@code longestWaitMicros}.
   *
   * @param intervalMicros the cost of one permit in microseconds
   */
  public Decision acquire(String key, double intervalMicros, int burst, int permits, long longestWaitMicros) {
    List<?> reply = (List<?>) run(acquire, key, List.of(Double.toString(intervalMicros),
        Integer.toString(burst), Integer.toString(permits), Long.toString(longestWaitMicros)));
    return new Decision((Long) reply.get(0) == 1L, (Long) reply.get(1), (String) reply.get(2));
  }

  /** Gives back a booking; false when a later booking made that impossible. */
  public boolean release(String key, double intervalMicros, int permits, String bookedUntil) {
    return (Long) run(release, key, List.of(Double.toString(intervalMicros), Integer.toString(permits),
        bookedUntil)) == 1L;
  }

  private Object run(Script script, String key, List<String> args) {
    List<String> keys = List.of(key);
    String sha = script.sha;
    try {
      return redis.evalsha(sha != null ? sha : script.load(redis, key), keys, args);
    } catch (JedisNoScriptException e) {
      return redis.evalsha(script.load(redis, key), keys, args);
    }
  }

  /**
   * The script's answer to an acquisition.
   *
   * @param admitted whether the permits were taken, now or booked for after the wait
   * @param waitMicros how long until the permits are due; 0 when admitted now
   * @param bookedUntil the schedule's end after this booking, to give it back; empty if refused
   */
  public record Decision(boolean admitted, long waitMicros, String bookedUntil) {}

  private static final class Script {
    private final String source;
    private volatile String sha;

    Script(String file) {
      this.source = LuaResources.read(file);
    }

    String load(UnifiedJedis redis, String key) {
      String loaded = redis.scriptLoad(source, key);
      sha = loaded;
      return loaded;
    }
  }
}
