package dev.workqueue.redis.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisProtocol;

/**
 * A parsed {@code redis://[[user]:password@]host[:port][/database]} or {@code rediss://} URL.
 *
 * @param tls true for {@code rediss://}
 * @param username the ACL user, or {@code null}
 * @param password the password, or {@code null}
 * @param database the database number, 0 when absent
 */
public record RedisUrl(boolean tls, String host, int port, String username, String password, int database) {
  /** What {@link #redact} writes in place of a password, query or fragment. */
  public static final String REDACTED = "******";
  private static final int DEFAULT_PORT = 6379;
  private static final Pattern QUERY_OR_FRAGMENT = Pattern.compile("[?#]");

  /** {@code toString} without the password. */
  @Override
  public String toString() {
    return (tls ? "rediss://" : "redis://") + (username == null ? "" : username + "@") + server() + "/"
        + database;
  }

  /** {@code host:port}, to name the server in messages. */
  public String server() {
    return host + ":" + port;
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
    // Refused here, not at the first connection: that failure looks transient and is retried for ever.
    if (uri.getPort() == 0 || uri.getPort() > 65_535) {
      throw new IllegalArgumentException("the port is not between 1 and 65535");
    }
    // Options such as ?ssl=true would be silently ignored: they are set on the builder instead.
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("a query or fragment is not supported");
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

  /**
   * Why these credentials cannot be used, or {@code null} when they can. Jedis sends no AUTH
   * without a password, so a user name alone would silently connect as the {@code default} user.
   */
  public String credentialsProblem() {
    return username != null && password == null
        ? "username \"" + username + "\" needs a password: Redis authenticates an ACL user by both "
            + "(a nopass user takes any password)"
        : null;
  }

  /** This URL with the given credentials and database where they are not null. */
  public RedisUrl withOverrides(String username, String password, Integer database) {
    return new RedisUrl(tls, host, port, username != null ? username : this.username,
        password != null ? password : this.password, database != null ? database : this.database);
  }

  /**
   * A Jedis client configuration with this URL's credentials, database and TLS, speaking RESP3;
   * the caller adds timeouts. Without a protocol, a Jedis client connects when it is created to
   * find out (and a build() hung on a frozen server for several socket timeouts); RESP3 is what
   * that negotiation chose on Redis 7, which the scripts' flags need anyway.
   */
  public DefaultJedisClientConfig.Builder clientConfig() {
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder().database(database).ssl(tls).protocol(RedisProtocol.RESP3);
    if (username != null) {
      config.user(username);
    }
    if (password != null) {
      config.password(password);
    }
    return config;
  }

  /**
   * {@code url} with its password, and any query or fragment, replaced by {@value #REDACTED}, for
   * messages: {@code redis://app:secret@host} becomes {@code redis://app:******@host}, a bare
   * password ({@code redis://secret@host}) {@code redis://******@host}, and
   * {@code redis://host/0?password=secret} {@code redis://host/0?******}, since a URL is refused for
   * its query, which may well carry a password. Everything between {@code ://} and the last
   * {@code @} counts as user information: a password given unencoded may hold {@code @} or
   * {@code /}.
   */
  public static String redact(String url) {
    if (url == null) {
      return null;
    }
    int scheme = url.indexOf("://");
    if (scheme < 0) {
      return url;
    }
    int at = url.lastIndexOf('@');
    String redacted = url;
    if (at > scheme) {
      String userInfo = url.substring(scheme + 3, at);
      int colon = userInfo.indexOf(':');
      String user = colon < 0 ? "" : userInfo.substring(0, colon + 1);
      redacted = url.substring(0, scheme + 3) + user + REDACTED + url.substring(at);
    }
    Matcher query = QUERY_OR_FRAGMENT.matcher(redacted).region(scheme + 3, redacted.length());
    return query.find() ? redacted.substring(0, query.start() + 1) + REDACTED : redacted;
  }

  /** Percent-decoding only: a {@code +} in a URL's user info is a plus sign, not a space. */
  private static String decode(String part) {
    return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
