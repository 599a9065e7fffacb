package dev.workqueue.testkit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

@RequiresRedisServer
class RedisServerIT {

  @Test
  void startedServerAnswersAndKeepsAppendOnlyDataAcrossKillAndRestart() throws IOException {
    try (RedisServer redis = RedisServer.builder().appendOnly(true).start()) {
      assertThat(redis.command("SET", "k", "v")).isEqualTo("+OK");
      redis.kill();
      assertThat(redis.isRunning()).isFalse();
      assertThatThrownBy(() -> redis.command("PING")).isInstanceOf(IOException.class);
      redis.startProcess();
      assertThat(redis.command("GET", "k")).isEqualTo("v");
    }
  }

  @Test
  void passwordProtectedServerIsReachedWithItsUrlCredentials() throws IOException {
    try (RedisServer redis = RedisServer.builder().password("s3cret").start()) {
      assertThat(redis.url()).isEqualTo("redis://:s3cret@127.0.0.1:" + redis.port());
      assertThat(redis.command("PING")).isEqualTo("+PONG");
    }
  }

  @Test
  void pausedServerResumesWhereItStopped() throws IOException {
    try (RedisServer redis = RedisServer.builder().start()) {
      redis.pause();
      redis.resume();
      assertThat(redis.command("PING")).isEqualTo("+PONG");
    }
  }
}
