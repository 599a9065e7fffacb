package dev.workqueue.testkit.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on a free loopback port in front of a server (such as a {@link RedisServer}) that
 * injects network faults on command: a delay before every chunk it forwards, in both directions,
 * and an abrupt reset (TCP RST) of every open connection. Clients connect to {@link #port()} as
 * they would to the server. Listens on loopback only.
 */
public final class FaultInjectingProxy implements AutoCloseable {
  private static final int CHUNK = 16 * 1024;

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final Set<Connection> openConnections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private final Thread acceptor;
  private volatile long delayNanos;
  private volatile boolean open = true;

  private FaultInjectingProxy(ServerSocket listener, InetSocketAddress target) {
    this.listener = listener;
    this.target = target;
    this.acceptor = daemon("fault-proxy-accept", this::acceptLoop);
  }

  /** Starts a proxy to {@code port} on 127.0.0.1. */
  public static FaultInjectingProxy to(int port) {
    try {
      InetAddress loopback = InetAddress.getLoopbackAddress();
      ServerSocket listener = new ServerSocket(0, 50, loopback);
      FaultInjectingProxy proxy = new FaultInjectingProxy(listener, new InetSocketAddress(loopback, port));
      proxy.acceptor.start();
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException("could not open a loopback port for the proxy", e);
    }
  }

  /** The loopback port clients connect to. */
  public int port() {
    return listener.getLocalPort();
  }

  /** {@code redis://127.0.0.1:<port>}, for a proxy in front of Redis. */
  public String redisUrl() {
    return "redis://127.0.0.1:" + port();
  }

  /** Delays every forwarded chunk by {@code delay} from now on; {@link Duration#ZERO} stops it. */
  public void delay(Duration delay) {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must be zero or positive, but was " + delay);
    }
    delayNanos = delay.toNanos();
  }

  /**
   * Resets every open connection, client and server side, with a TCP RST, as a failing network or
   * a restarting load balancer would. New connections are accepted as before. Returns how many
   * client connections were reset.
   */
  public int resetConnections() {
    int reset = 0;
    for (Connection connection : openConnections) {
      openConnections.remove(connection);
      // Counted by its client side: resetting either side makes a pump close the other one.
      reset += reset(connection.client()) ? 1 : 0;
      reset(connection.server());
    }
    return reset;
  }

  /** Client connections accepted so far. */
  public int connectionsAccepted() {
    return connections.get();
  }

  @Override
  public void close() {
    open = false;
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    resetConnections();
    try {
      acceptor.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void acceptLoop() {
    while (open) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      connections.incrementAndGet();
      Socket server = new Socket();
      try {
        server.connect(target, 5_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(server);
        continue; // the client sees the connection fail, as it would without the proxy
      }
      Connection connection = new Connection(client, server);
      openConnections.add(connection);
      daemon("fault-proxy-up", () -> pump(connection, client, server)).start();
      daemon("fault-proxy-down", () -> pump(connection, server, client)).start();
    }
  }

  private void pump(Connection connection, Socket from, Socket to) {
    byte[] chunk = new byte[CHUNK];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int read;
      while ((read = in.read(chunk)) >= 0) {
        long delay = delayNanos;
        if (delay > 0) {
          LockSupport.parkNanos(delay);
        }
        out.write(chunk, 0, read);
        out.flush();
      }
    } catch (IOException e) {
      // a reset or a closed peer ends this direction; the other one ends with it below
    } finally {
      openConnections.remove(connection);
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static boolean reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0); // close() then sends RST instead of FIN
    } catch (SocketException e) {
      // already closed
    }
    boolean wasOpen = !socket.isClosed();
    closeQuietly(socket);
    return wasOpen;
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }

  /** A proxied connection: the client's socket and the proxy's socket to the server. */
  private record Connection(Socket client, Socket server) {}

  private static Thread daemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    return thread;
  }
}
