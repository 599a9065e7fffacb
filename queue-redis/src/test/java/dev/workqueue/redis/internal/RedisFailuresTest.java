package dev.workqueue.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.QueueException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisMovedDataException;

class RedisFailuresTest {
  private static final HostAndPort NODE = new HostAndPort("127.0.0.1", 7000);

  @Test
  void clusterGivingUpAfterRedirectionsIsTransient() {
    var failure = new JedisClusterOperationException("No more cluster attempts left.",
        new JedisMovedDataException("MOVED 3999 127.0.0.1:7001", NODE, 3999), NODE);

    assertThat(RedisFailures.translate("fetch", failure)).isInstanceOf(BackendUnavailableException.class)
        .hasCause(failure);
  }

  @Test
  void clusterGivingUpAfterConnectionFailuresIsTransient() {
    var failure = new JedisClusterOperationException("No more cluster attempts left.",
        new JedisConnectionException("Failed to connect to 127.0.0.1:7000"), NODE);

    assertThat(RedisFailures.translate("fetch", failure)).isInstanceOf(BackendUnavailableException.class);
  }

  @Test
  void aBlockedCommandEndedByAFailoverIsTransient() {
    var failure = new JedisDataException(
        "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)");

    assertThat(RedisFailures.translate("fetch", failure)).isInstanceOf(BackendUnavailableException.class);
  }

  @Test
  void aScriptReachingAKeyOfASlotBeingMigratedIsTransientButCrossSlotKeysArePermanent() {
    var migrating = new JedisDataException("ERR Script attempted to access a non local key in a cluster node "
        + "script: 0e52016d90c1e14a69c48965716fbef00e95542c, on @user_script:125.");
    var crossSlot =
        new JedisDataException("ERR Script attempted to access keys that do not hash to the same slot");

    assertThat(RedisFailures.translate("settle", migrating)).isInstanceOf(BackendUnavailableException.class);
    assertThat(RedisFailures.translate("settle", crossSlot)).isExactlyInstanceOf(QueueException.class);
  }

  @Test
  void loadingReplyIsTransientAndOtherErrorRepliesArePermanent() {
    assertThat(RedisFailures.translate("stats", new JedisDataException("LOADING Redis is loading")))
        .isInstanceOf(BackendUnavailableException.class);
    assertThat(RedisFailures.translate("stats", new JedisAccessControlException("WRONGPASS invalid password")))
        .isExactlyInstanceOf(QueueException.class);
    assertThat(RedisFailures.translate("stats", new JedisDataException("ERR unknown command")))
        .isExactlyInstanceOf(QueueException.class)
        .hasMessage("redis stats failed: ERR unknown command");
  }

  @Test
  void aRequestRedisCannotParseIsPermanentThoughItEndsTheConnection() {
    var failure = new JedisConnectionException("ERR Protocol error: invalid bulk length");

    assertThat(RedisFailures.translate("enqueue", failure)).isExactlyInstanceOf(QueueException.class)
        .hasMessageStartingWith("redis enqueue failed: ERR Protocol error: invalid bulk length (a value "
            + "over Redis's proto-max-bulk-len");
    assertThat(RedisFailures.translate("enqueue", new JedisConnectionException("Unexpected end of stream.")))
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
}
