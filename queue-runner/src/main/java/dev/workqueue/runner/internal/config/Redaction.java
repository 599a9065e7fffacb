package dev.workqueue.runner.internal.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Removes credentials from text that is about to be printed or logged. */
public final class Redaction {
  private static final Pattern URL_CREDENTIALS = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@\\s]*)@");

  private Redaction() {}

  /**
   * Replaces the password of every URL in {@code text} with {@value RunnerConfig#REDACTED}:
   * {@code redis://user:secret@host} becomes {@code redis://user:******@host}, and
   * {@code redis://secret@host} (a bare password) becomes {@code redis://******@host}.
   */
  public static String redactUrl(String text) {
    if (text == null) {
      return null;
    }
    Matcher matcher = URL_CREDENTIALS.matcher(text);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String userInfo = matcher.group(2);
      int colon = userInfo.indexOf(':');
      String redacted = colon >= 0 ? userInfo.substring(0, colon + 1) + RunnerConfig.REDACTED
          : RunnerConfig.REDACTED;
      matcher.appendReplacement(out, Matcher.quoteReplacement(matcher.group(1) + redacted + "@"));
    }
    matcher.appendTail(out);
    return out.toString();
  }
}
