package dev.workqueue.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.QueueException;
import java.io.EOFException;
import java.net.SocketException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisMovedDataException;

class RedisFailuresTest {
  private static final HostAndPort NODE = new HostAndPort("127.0.0.1", 7000);
  private static final String SAN_MISMATCH =
      "No subject alternative names matching IP address 127.0.0.1 found";

  /** Translates as a backend on a caller-given client does: the server is not known. */
  private static QueueException translate(String operation, RuntimeException failure) {
    return RedisFailures.translate(operation, null, failure);
  }

  @Test
  void clusterGivingUpAfterRedirectionsIsTransient() {
    var failure = new JedisClusterOperationException("No more cluster attempts left.",
        new JedisMovedDataException("MOVED 3999 127.0.0.1:7001", NODE, 3999), NODE);

    assertThat(translate("fetch", failure)).isInstanceOf(BackendUnavailableException.class)
        .hasCause(failure);
  }

  @Test
  void clusterGivingUpAfterConnectionFailuresIsTransient() {
    var failure = new JedisClusterOperationException("No more cluster attempts left.",
        new JedisConnectionException("Failed to connect to 127.0.0.1:7000"), NODE);

    assertThat(translate("fetch", failure)).isInstanceOf(BackendUnavailableException.class);
  }

  @Test
  void aBlockedCommandEndedByAFailoverIsTransient() {
    var failure = new JedisDataException(
        "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)");

    assertThat(translate("fetch", failure)).isInstanceOf(BackendUnavailableException.class);
  }

  @Test
  void aScriptReachingAKeyOfASlotBeingMigratedIsTransientButCrossSlotKeysArePermanent() {
    var migrating = new JedisDataException("ERR Script attempted to access a non local key in a cluster node "
        + "script: 0e52016d90c1e14a69c48965716fbef00e95542c, on @user_script:125.");
    var crossSlot =
        new JedisDataException("ERR Script attempted to access keys that do not hash to the same slot");

    assertThat(translate("settle", migrating)).isInstanceOf(BackendUnavailableException.class);
    assertThat(translate("settle", crossSlot)).isExactlyInstanceOf(QueueException.class);
  }

  @Test
  void loadingReplyIsTransientAndOtherErrorRepliesArePermanent() {
    assertThat(translate("stats", new JedisDataException("LOADING Redis is loading")))
        .isInstanceOf(BackendUnavailableException.class);
    assertThat(translate("settle", new JedisDataException("NOREPLICAS Not enough good replicas to write.")))
        .isInstanceOf(BackendUnavailableException.class);
    assertThat(translate("stats", new JedisAccessControlException("WRONGPASS invalid password")))
        .isExactlyInstanceOf(QueueException.class);
    assertThat(translate("stats", new JedisDataException("ERR unknown command")))
        .isExactlyInstanceOf(QueueException.class)
        .hasMessage("redis stats failed: ERR unknown command");
  }

  @Test
  void aRequestRedisCannotParseIsPermanentThoughItEndsTheConnection() {
    var failure = new JedisConnectionException("ERR Protocol error: invalid bulk length");

    assertThat(translate("enqueue", failure)).isExactlyInstanceOf(QueueException.class)
        .hasMessageStartingWith("redis enqueue failed: ERR Protocol error: invalid bulk length (a value "
            + "over Redis's proto-max-bulk-len");
    assertThat(translate("enqueue", new JedisConnectionException("Unexpected end of stream.")))
        .isInstanceOf(BackendUnavailableException.class);
  }

  @Test
  void aProtocolErrorIsRecognisedWhetherJedisReadItAsAReplyOrAfterAFailedWrite() {
    String reply = "ERR Protocol error: invalid bulk length";

    assertThat(RedisFailures.isProtocolError(new JedisDataException(reply))).isTrue();
    assertThat(RedisFailures.isProtocolError(new JedisConnectionException(reply))).isTrue();
    assertThat(RedisFailures.isProtocolError(new RuntimeException("enqueue", new JedisDataException(reply))))
        .isTrue();
    assertThat(RedisFailures.isProtocolError(new JedisDataException("ERR unknown command"))).isFalse();
    assertThat(RedisFailures.isProtocolError(new JedisConnectionException((String) null))).isFalse();
  }

  @Test
  void anErrorEchoingTheArgumentsOfAnUnknownCommandLosesThemAndIsNotKeptAsTheCause() {
    var failure = new JedisDataException("ERR unknown command 'HELLO', with args beginning with: '3' 'AUTH' "
        + "'app' 'app-secret' ");

    assertThat(translate("ping", failure)).isExactlyInstanceOf(QueueException.class)
        .hasMessage("redis ping failed: ERR unknown command 'HELLO'")
        .hasNoCause();
  }

  @Test
  void aServerCertificateTheClientRefusedIsPermanentAndNamesTheServerAndTheReason() {
    var handshake = new SSLHandshakeException(SAN_MISMATCH);
    handshake.initCause(new CertificateException(SAN_MISMATCH));
    var failure = new JedisConnectionException(handshake);

    assertThat(RedisFailures.translate("ping", "127.0.0.1:6380", failure))
        .isExactlyInstanceOf(QueueException.class)
        .hasCause(failure)
        .hasMessage("TLS certificate of 127.0.0.1:6380 rejected: " + SAN_MISMATCH + "; it must be current, "
            + "name the URL's host and chain to a CA the client trusts (redis ping)");
    assertThat(translate("ping", failure))
        .hasMessageStartingWith("TLS certificate of the Redis server rejected: ");
  }

  @Test
  void aCallerGivenHostnameVerifierRefusingTheServerIsPermanent() {
    var failure =
        new JedisConnectionException("The connection to '10.0.0.7' failed ssl/tls hostname verification.");

    assertThat(translate("fetch", failure)).isExactlyInstanceOf(QueueException.class)
        .hasMessageStartingWith("TLS certificate of the Redis server rejected: The connection to '10.0.0.7'");
  }

  @Test
  void aHandshakeCutShortByTheNetworkStaysTransient() {
    var terminated = new SSLHandshakeException("Remote host terminated the handshake");
    terminated.initCause(new EOFException("SSL peer shut down incorrectly"));

    assertThat(RedisFailures.translate("fetch", "h:1", new JedisConnectionException(terminated)))
        .isInstanceOf(BackendUnavailableException.class);
    assertThat(RedisFailures.translate("fetch", "h:1",
        new JedisConnectionException(new SocketException("Connection reset"))))
        .isInstanceOf(BackendUnavailableException.class);
  }
}
