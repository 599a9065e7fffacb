package dev.workqueue.runner.internal.config;

import dev.workqueue.redis.internal.RedisUrl;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Removes credentials from text that is about to be printed or logged. */
public final class Redaction {
  private static final String SCHEME = "[a-zA-Z][a-zA-Z0-9+.-]*://";
  /**
   * A scheme and the user information after it. The user information runs to the last {@code @}
   * before the host, because a password given unencoded may itself hold {@code @} or {@code /};
   * it never runs into a second URL, so each URL of a list keeps its own host.
   */
  private static final Pattern URL_CREDENTIALS =
      Pattern.compile("(" + SCHEME + ")((?:(?!://)\\S)*)@");

  private Redaction() {}

  /**
   * Replaces the password of every URL in {@code text} with {@value RunnerConfig#REDACTED}:
   * {@code redis://user:secret@host} becomes {@code redis://user:******@host}, and
   * {@code redis://secret@host} (a bare password) becomes {@code redis://******@host}. A URL ends
   * at whitespace; everything between {@code ://} and the last {@code @} before that counts as
   * user information, so {@code redis://app:a/b@c@host} becomes {@code redis://app:******@host}.
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

  /**
   * Like {@link #redactUrl} for a configured value that should be one URL but may be malformed,
   * as the Redis backend redacts one ({@link RedisUrl#redact}): everything between {@code ://} and
   * the value's last {@code @}, whitespace included, counts as user information, and a query or
   * fragment is replaced too ({@code redis://cache/0?******}), since a Redis URL is invalid with
   * one, which may well hold a password ({@code ?password=...}).
   */
  public static String redactUrlValue(String value) {
    return RedisUrl.redact(value);
  }

  /**
   * {@code node} (meant as {@code host:port}) with everything up to its last {@code @} replaced by
   * {@value RunnerConfig#REDACTED}: {@code app:secret@host:26379} becomes {@code ******@host:26379}.
   */
  public static String redactUserInfo(String node) {
    int at = node.lastIndexOf('@');
    return at < 0 ? node : RunnerConfig.REDACTED + node.substring(at);
  }
}
