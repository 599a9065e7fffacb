package dev.workqueue.internal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Generates job ids: 12 hex digits of milliseconds since the epoch then 20 random hex digits, so
 * ids sort roughly by creation time and two producers cannot realistically collide.
 */
public final class JobIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private JobIds() {}

  public static String next(long epochMillis) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] id = new char[32];
    write(id, 0, 12, epochMillis);
    write(id, 12, 16, random.nextLong());
    write(id, 28, 4, random.nextInt());
    return new String(id);
  }

  private static void write(char[] target, int offset, int digits, long value) {
    for (int i = offset + digits - 1; i >= offset; i--) {
      target[i] = HEX[(int) (value & 0xF)];
      value >>>= 4;
    }
  }
}
