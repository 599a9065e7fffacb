package dev.workqueue.redis.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads the Lua scripts shipped as resources beside the Redis classes. */
public final class LuaResources {
  private static final String DIRECTORY = "/dev/workqueue/redis/";

  private LuaResources() {}

  /** The text of the script {@code file}, for example {@code queue-fetch.lua}. */
  public static String read(String file) {
    try (InputStream in = LuaResources.class.getResourceAsStream(DIRECTORY + file)) {
      if (in == null) {
        throw new IllegalStateException("missing script resource " + file);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read script resource " + file, e);
    }
  }
}
