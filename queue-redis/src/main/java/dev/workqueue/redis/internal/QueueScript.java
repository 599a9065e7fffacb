package dev.workqueue.redis.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * One of the queue backend's Lua scripts, {@code queue-common.lua} prepended (after the script's
 * {@code #!lua} flags line, if it has one), run with EVALSHA; when the server does not know it
 * (first use, restart, SCRIPT FLUSH) it is sent once with EVAL, which also caches it. NOSCRIPT
 * means nothing ran, so the resend cannot apply a change twice.
 */
public enum QueueScript {
  ENQUEUE("queue-enqueue.lua"),
  FETCH("queue-fetch.lua"),
  SETTLE("queue-settle.lua"),
  HEARTBEAT("queue-heartbeat.lua"),
  RECOVER("queue-recover.lua"),
  STATS("queue-stats.lua"),
  PURGE_DEAD("queue-purge-dead.lua"),
  REQUEUE_DEAD("queue-requeue-dead.lua"),
  DELETE_JOB("queue-delete-job.lua"),
  DEAD_JOB("queue-dead-job.lua"),
  PAUSE("queue-pause.lua");

  private static final String COMMON = "queue-common.lua";

  private final String file;
  private volatile Loaded loaded;

  QueueScript(String file) {
    this.file = file;
  }

  private record Loaded(byte[] source, byte[] sha) {}

  /** Runs the script on {@code redis}; the reply as Jedis returns it for binary calls. */
  public Object run(UnifiedJedis redis, List<byte[]> keys, List<byte[]> args) {
    Loaded script = load();
    try {
      return redis.evalsha(script.sha, keys, args);
    } catch (JedisNoScriptException e) {
      return redis.eval(script.source, keys, args);
    }
  }

  /**
   * Sends the script to the server that holds {@code sampleKey} (SCRIPT LOAD), for a caller whose
   * pipelined EVALSHA got NOSCRIPT.
   */
  public void load(UnifiedJedis redis, byte[] sampleKey) {
    redis.scriptLoad(load().source, sampleKey);
  }

  /** The SHA-1 that EVALSHA names the script by, for callers that pipeline it. */
  public byte[] sha() {
    return load().sha;
  }

  private Loaded load() {
    Loaded script = loaded;
    if (script == null) {
      String body = LuaResources.read(file);
      // Redis reads a script's flags (#!lua flags=...) only from its first line.
      int shebangEnd = body.startsWith("#!") ? body.indexOf('\n') + 1 : 0;
      String text = body.substring(0, shebangEnd) + LuaResources.read(COMMON) + "\n"
          + body.substring(shebangEnd);
      byte[] source = text.getBytes(StandardCharsets.UTF_8);
      script = new Loaded(source, Sha1.hex(source).getBytes(StandardCharsets.US_ASCII));
      loaded = script;
    }
    return script;
  }
}
