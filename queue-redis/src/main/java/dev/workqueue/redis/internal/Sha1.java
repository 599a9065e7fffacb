package dev.workqueue.redis.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-1 in lower-case hex, as Redis names scripts and as {@code redis.sha1hex} computes it. */
final class Sha1 {
  private Sha1() {}

  static String hex(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM lacks SHA-1", e);
    }
  }
}
