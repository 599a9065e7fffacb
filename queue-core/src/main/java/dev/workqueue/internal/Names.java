package dev.workqueue.internal;

import java.util.regex.Pattern;

/** The rule for queue and priority names, shared by builders, producers and backends. */
public final class Names {
  /** Letters, digits, '.', '_', ':' and '-', 1 to 128 characters: safe in keys, tags and paths. */
  public static final String RULE = "1 to 128 characters of letters, digits, '.', '_', ':' or '-'";

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private Names() {}

  public static boolean isValid(String name) {
    return name != null && VALID.matcher(name).matches();
  }
}
