package dev.workqueue.internal;

import dev.workqueue.InvalidJobException;

/** Refuses half a surrogate pair where text is stored as UTF-8, which has no form for one. */
public final class Surrogates {
  private Surrogates() {}

  /**
   * {@code value} as it is, unless it holds half a surrogate pair: Java writes '?' in its place, so
   * two ids or idempotency keys that differ there would become one. Null stays null.
   *
   * @throws InvalidJobException naming {@code field} and the index of the unpaired surrogate
   */
  public static String requireWholePairs(String value, String field) {
    if (value == null) {
      return null;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new InvalidJobException(
            field + " must not hold half a surrogate pair, but has one at index " + i);
      }
    }
    return value;
  }
}
