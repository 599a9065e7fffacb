package dev.workqueue.redis.internal;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.QueueException;
import java.security.cert.CertificateException;
import java.util.NoSuchElementException;
import java.util.Set;
import javax.net.ssl.SSLException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisRedirectionException;

/**
 * Turns Jedis exceptions into the library's: unreachable or not-yet-ready servers become the
 * transient {@link BackendUnavailableException}, everything else a permanent
 * {@link QueueException}, among them a TLS handshake in which the client refused the server's
 * certificate. The Jedis exception stays the cause, unless an error reply in it echoes a command's
 * arguments (which may hold a password): those are cut from the message and the cause left out.
 */
public final class RedisFailures {
  /**
   * Error reply prefixes that mean "try again later": loading, failover (a demoted master ends
   * blocked commands with UNBLOCKED and refuses writes with READONLY), cluster reconfiguring, a
   * master with {@code min-replicas-to-write} while too few replicas are connected (NOREPLICAS).
   */
  private static final Set<String> TRANSIENT_REPLIES = Set.of("LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN",
      "MASTERDOWN", "READONLY", "UNBLOCKED", "NOREPLICAS");
  /**
   * The reply to a request Redis refuses to parse, such as an argument over proto-max-bulk-len.
   * Redis closes the connection after it, so Jedis reports a connection failure, but sending the
   * same request again can never succeed.
   */
  private static final String PROTOCOL_ERROR = "ERR Protocol error";
  /**
   * A script reached a key of a slot that is being migrated to another node and that this node no
   * longer holds. The scripts reach every such key before their first write, so nothing was
   * written, and the call succeeds once the migration is over.
   */
  private static final String SLOT_MIGRATING = "ERR Script attempted to access a non local key";

  /**
   * What Jedis throws, without a cause, when a caller-given {@code HostnameVerifier} refuses the
   * server (without one, the JDK checks the name during the handshake and says why).
   */
  private static final String HOSTNAME_REFUSED = "failed ssl/tls hostname verification";

  /**
   * What Redis adds to the error for a command it does not know, followed by the command's first
   * arguments: a password when the command is the clients' {@code HELLO 3 AUTH <user> <password>}
   * on a server without RESP3, job data when it is a script call through a proxy.
   */
  private static final String ECHOED_ARGUMENTS = ", with args beginning with:";

  private RedisFailures() {}

  /**
   * The library exception for {@code failure}, raised while doing {@code operation}.
   *
   * @param server {@code host:port} of the server the client dials, named in the message of a
   *     refused certificate; {@code null} when it is not known (a caller-given client)
   */
  public static QueueException translate(String operation, String server, RuntimeException failure) {
    if (failure instanceof QueueException known) {
      return known;
    }
    String refused = refusedCertificate(failure);
    if (refused != null) {
      // Retrying cannot help: the certificate, the trust store or the URL's host must change.
      return new QueueException("TLS certificate of " + (server != null ? server : "the Redis server")
          + " rejected: " + refused + "; it must be current, name the URL's host and chain to a CA "
          + "the client trusts (redis " + operation + ")", failure);
    }
    // Not kept as the cause when its chain holds echoed arguments: a logged stack trace shows them.
    Throwable cause = echoesArguments(failure) ? null : failure;
    String message = withoutEchoedArguments(failure.getMessage());
    if (isTransient(failure)) {
      return new BackendUnavailableException("redis unavailable during " + operation + ": " + message, cause);
    }
    if (isProtocolError(failure)) {
      return new QueueException("redis " + operation + " failed: " + message + " (a value "
          + "over Redis's proto-max-bulk-len, 512 MB by default, such as a job near that size: lower "
          + "the producer's maxPayloadBytes or raise proto-max-bulk-len)", cause);
    }
    return new QueueException("redis " + operation + " failed: " + message, cause);
  }

  /** Whether an exception in the chain echoes a command's arguments in its message. */
  private static boolean echoesArguments(Throwable failure) {
    for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
      if (cause.getMessage() != null && cause.getMessage().contains(ECHOED_ARGUMENTS)) {
        return true;
      }
    }
    return false;
  }

  private static String withoutEchoedArguments(String message) {
    int echoed = message == null ? -1 : message.indexOf(ECHOED_ARGUMENTS);
    return echoed < 0 ? message : message.substring(0, echoed);
  }

  /**
   * Whether {@code failure} is Redis refusing to parse a request, after which Redis closes the
   * connection it came on.
   */
  public static boolean isProtocolError(Throwable failure) {
    for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
      if (cause.getMessage() != null && cause.getMessage().startsWith(PROTOCOL_ERROR)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Why the client refused the server's certificate in a TLS handshake, or {@code null} if it did
   * not. Only the client's own verdict counts: a handshake cut short by a reset or a closed port
   * is a network failure, and a server refusing the client's certificate shows up as one too
   * (a broken pipe), so those stay transient.
   */
  private static String refusedCertificate(Throwable failure) {
    boolean inHandshake = false;
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      inHandshake |= cause instanceof SSLException;
      if (inHandshake && cause instanceof CertificateException) {
        return cause.getMessage();
      }
      if (cause.getMessage() != null && cause.getMessage().contains(HOSTNAME_REFUSED)) {
        return cause.getMessage();
      }
    }
    return null;
  }

  private static boolean isTransient(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      // A redirection that outlived the cluster client's retries: slots are moving between nodes.
      if (cause instanceof JedisConnectionException && cause.getMessage() != null
          && cause.getMessage().startsWith(PROTOCOL_ERROR)) {
        return false;
      }
      if (cause instanceof JedisConnectionException || cause instanceof NoSuchElementException
          || cause instanceof JedisRedirectionException) {
        return true;
      }
      if (cause instanceof JedisDataException && cause.getMessage() != null) {
        if (cause.getMessage().startsWith(SLOT_MIGRATING)) {
          return true;
        }
        int space = cause.getMessage().indexOf(' ');
        String code = space < 0 ? cause.getMessage() : cause.getMessage().substring(0, space);
        if (TRANSIENT_REPLIES.contains(code)) {
          return true;
        }
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }
}
