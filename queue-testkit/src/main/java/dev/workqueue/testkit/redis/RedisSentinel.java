package dev.workqueue.testkit.redis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Redis Sentinel process on a free loopback port that monitors one {@link RedisServer} as
 * master, with a quorum of 1 and a one-second down-after time so that failovers in tests take
 * seconds. Stops and deletes only what it started.
 */
public final class RedisSentinel implements AutoCloseable {
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(20);

  private final String masterName;
  private final String password;
  private final int port;
  private final Path directory;
  private final Process process;

  private RedisSentinel(String masterName, String password, int port, Path directory, Process process) {
    this.masterName = masterName;
    this.password = password;
    this.port = port;
    this.directory = directory;
    this.process = process;
  }

  /**
   * Starts a Sentinel monitoring {@code master} under {@code masterName} and waits until it names
   * that master. The Sentinel itself requires no password; it uses the master's, if it has one.
   */
  public static RedisSentinel monitor(String masterName, RedisServer master) {
    return monitor(masterName, master, null);
  }

  /**
   * As {@link #monitor(String, RedisServer)}, with clients of the Sentinel required to
   * authenticate with {@code password} (its {@code requirepass}); null for none.
   */
  public static RedisSentinel monitor(String masterName, RedisServer master, String password) {
    int port = RedisServer.freePort();
    Path directory;
    Process process;
    try {
      directory = Files.createTempDirectory("workqueue-sentinel-");
      Path config = Files.writeString(directory.resolve("sentinel.conf"), String.join("\n",
          "port " + port,
          "bind 127.0.0.1",
          "dir " + directory,
          "sentinel monitor " + masterName + " " + master.host() + " " + master.port() + " 1",
          "sentinel down-after-milliseconds " + masterName + " 1000",
          "sentinel failover-timeout " + masterName + " 5000",
          master.password() == null ? "" : "sentinel auth-pass " + masterName + " " + master.password(),
          password == null ? "" : "requirepass " + password,
          ""));
      process = new ProcessBuilder(RedisServer.defaultBinary(), config.toString(), "--sentinel")
          .directory(directory.toFile()).redirectErrorStream(true)
          .redirectOutput(directory.resolve("sentinel.log").toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException("could not start a Sentinel: " + e.getMessage(), e);
    }
    RedisSentinel sentinel = new RedisSentinel(masterName, password, port, directory, process);
    sentinel.awaitMaster(master.port());
    return sentinel;
  }

  /** The loopback host the Sentinel listens on. */
  public String host() {
    return "127.0.0.1";
  }

  /** The Sentinel's port. */
  public int port() {
    return port;
  }

  /** {@code host:port} of the Sentinel. */
  public String address() {
    return host() + ":" + port;
  }

  /** The port of the server this Sentinel currently names as master. */
  public int masterPort() throws IOException {
    String info = RedisServer.command(host(), port, password, "INFO", "sentinel");
    Matcher master = Pattern.compile("name=" + Pattern.quote(masterName) + ",status=\\w+,address=[^:]+:(\\d+)")
        .matcher(info);
    if (!master.find()) {
      throw new IOException("Sentinel does not know master " + masterName + ": " + info);
    }
    return Integer.parseInt(master.group(1));
  }

  private void awaitMaster(int expectedPort) {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (masterPort() == expectedPort) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (!process.isAlive()) {
        break;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    close();
    throw new IllegalStateException("Sentinel on port " + port + " did not name master " + masterName
        + " on port " + expectedPort + " within " + STARTUP_TIMEOUT);
  }

  /** Stops the Sentinel and deletes its directory. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    RedisServer.deleteDirectory(directory);
  }
}
