package dev.workqueue.redis.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A parsed {@code redis://[[user]:password@]host[:port][/database]} or {@code rediss://} URL.
 *
 * @param tls true for {@code rediss://}
 * @param username the ACL user, or {@code null}
 * @param password the password, or {@code null}
 * @param database the database number, 0 when absent
 */
public record RedisUrl(boolean tls, String host, int port, String username, String password, int database) {
  private static final int DEFAULT_PORT = 6379;

  /** {@code toString} without the password. */
  @Override
  public String toString() {
    return (tls ? "rediss://" : "redis://") + (username == null ? "" : username + "@") + host + ":" + port
        + "/" + database;
  }

  /**
   * Parses {@code url}.
   *
   * @throws IllegalArgumentException naming what is wrong, never echoing the password
   */
  public static RedisUrl parse(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL");
    }
    String scheme = uri.getScheme();
    if (!"redis".equalsIgnoreCase(scheme) && !"rediss".equalsIgnoreCase(scheme)) {
      throw new IllegalArgumentException("the scheme is not redis or rediss");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException("no host");
    }
    String username = null;
    String password = null;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      if (colon < 0) {
        password = decode(userInfo);
      } else {
        username = colon == 0 ? null : decode(userInfo.substring(0, colon));
        password = colon == userInfo.length() - 1 ? null : decode(userInfo.substring(colon + 1));
      }
    }
    int database = 0;
    String path = uri.getPath();
    if (path != null && path.length() > 1) {
      try {
        database = Integer.parseInt(path.substring(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("the path is not a database number");
      }
      if (database < 0) {
        throw new IllegalArgumentException("the database number is negative");
      }
    }
    return new RedisUrl("rediss".equalsIgnoreCase(scheme), uri.getHost(),
        uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), username, password, database);
  }

  /** {@code url} with any password replaced by {@code ***}, for messages. */
  public static String redact(String url) {
    if (url == null) {
      return null;
    }
    int scheme = url.indexOf("://");
    int at = url.lastIndexOf('@');
    if (scheme < 0 || at < scheme) {
      return url;
    }
    String userInfo = url.substring(scheme + 3, at);
    int colon = userInfo.indexOf(':');
    String user = colon < 0 ? "" : userInfo.substring(0, colon);
    return url.substring(0, scheme + 3) + user + ":***" + url.substring(at);
  }

  private static String decode(String part) {
    return URLDecoder.decode(part, StandardCharsets.UTF_8);
  }
}
