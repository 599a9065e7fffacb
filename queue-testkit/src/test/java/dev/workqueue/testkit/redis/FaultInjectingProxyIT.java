package dev.workqueue.testkit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@RequiresRedisServer
class FaultInjectingProxyIT {

  @Test
  void forwardsBothWaysAndDelaysWhenTold() throws IOException {
    try (RedisServer redis = RedisServer.builder().start();
        FaultInjectingProxy proxy = FaultInjectingProxy.to(redis.port());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      client.setSoTimeout(5_000);
      assertThat(ping(client)).isEqualTo("+PONG");

      proxy.delay(Duration.ofMillis(100));
      long start = System.nanoTime();
      assertThat(ping(client)).isEqualTo("+PONG");
      // Delayed once on the way in and once on the way out.
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
      assertThat(proxy.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void resetEndsOpenConnectionsAndAcceptsNewOnes() throws IOException {
    try (RedisServer redis = RedisServer.builder().start();
        FaultInjectingProxy proxy = FaultInjectingProxy.to(redis.port());
        Socket first = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      first.setSoTimeout(5_000);
      assertThat(ping(first)).isEqualTo("+PONG");

      assertThat(proxy.resetConnections()).isEqualTo(1);
      assertThatThrownBy(() -> {
        ping(first);
        ping(first); // a write may still succeed locally; by the second exchange the reset shows
      }).isInstanceOf(IOException.class);

      try (Socket second = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
        second.setSoTimeout(5_000);
        assertThat(ping(second)).isEqualTo("+PONG");
      }
    }
  }

  /** Sends PING and reads the one-line reply; throws when the connection has ended. */
  private static String ping(Socket socket) throws IOException {
    socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    InputStream in = socket.getInputStream();
    StringBuilder reply = new StringBuilder();
    int next;
    while ((next = in.read()) != '\n') {
      if (next < 0) {
        throw new IOException("connection ended");
      }
      if (next != '\r') {
        reply.append((char) next);
      }
    }
    return reply.toString();
  }
}
