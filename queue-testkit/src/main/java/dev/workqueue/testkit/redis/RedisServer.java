package dev.workqueue.testkit.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code redis-server} process started by a test on a free loopback port, with its own data
 * directory. Only ever stops, kills, pauses or restarts the process it started itself.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.builder().appendOnly(true).start()) {
 *   String url = redis.url();
 *   ...
 *   redis.kill();     // SIGKILL
 *   redis.restart();  // same port, same data directory
 * }
 * }</pre>
 */
public final class RedisServer implements AutoCloseable {
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(20);

  private final String binary;
  private final List<String> options;
  private final String password;
  private final Path directory;
  private final int port;
  private Process process;

  private RedisServer(Builder builder, Path directory, int port) {
    this.binary = builder.binary;
    this.options = List.copyOf(builder.options);
    this.password = builder.password;
    this.directory = directory;
    this.port = port;
  }

  /** Starts describing a server: no persistence, no password, a free port. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether a {@code redis-server} binary can be run here ({@code REDIS_SERVER_BIN} or PATH). */
  public static boolean isAvailable() {
    try {
      Process probe = new ProcessBuilder(defaultBinary(), "--version").redirectErrorStream(true).start();
      probe.getInputStream().readAllBytes();
      return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static String defaultBinary() {
    String configured = System.getenv("REDIS_SERVER_BIN");
    return configured != null && !configured.isBlank() ? configured : "redis-server";
  }

  /** The loopback host the server listens on. */
  public String host() {
    return "127.0.0.1";
  }

  /** The server's port, kept across restarts. */
  public int port() {
    return port;
  }

  /** The password clients must give, or null when none is required. */
  public String password() {
    return password;
  }

  /** {@code redis://[:password@]127.0.0.1:port}. */
  public String url() {
    return "redis://" + (password == null ? "" : ":" + password + "@") + host() + ":" + port;
  }

  /** The server's data directory (AOF and RDB files). */
  public Path directory() {
    return directory;
  }

  /** The OS process id of the running server. */
  public long pid() {
    return requireRunning().pid();
  }

  /** Whether the process is alive. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Starts the process (again) on the same port and directory and waits until it answers PING. */
  public synchronized RedisServer startProcess() {
    if (isRunning()) {
      throw new IllegalStateException("redis-server on port " + port + " is already running");
    }
    List<String> command = new ArrayList<>();
    command.add(binary);
    command.addAll(List.of("--bind", "127.0.0.1", "--port", Integer.toString(port), "--dir",
        directory.toString(), "--daemonize", "no", "--save", "", "--logfile", "redis.log"));
    if (password != null) {
      command.addAll(List.of("--requirepass", password));
    }
    command.addAll(options);
    try {
      process = new ProcessBuilder(command).directory(directory.toFile())
          .redirectOutput(directory.resolve("stdout.log").toFile())
          .redirectErrorStream(true)
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + binary + ": " + e.getMessage(), e);
    }
    awaitReady();
    return this;
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("redis-server on port " + port + " exited with "
            + process.exitValue() + "; log: " + logTail());
      }
      try {
        String reply = command("PING");
        if (reply.startsWith("+PONG")) {
          return;
        }
      } catch (IOException e) {
        last = e;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for redis-server", e);
      }
    }
    throw new IllegalStateException("redis-server on port " + port + " did not answer within "
        + STARTUP_TIMEOUT + ": " + last + "; log: " + logTail());
  }

  /**
   * Sends one command over a fresh connection (authenticating first if a password is set) and
   * returns the first line of the reply, or the whole payload of a bulk-string reply.
   */
  public String command(String... arguments) throws IOException {
    return command(host(), port, password, arguments);
  }

  /** {@link #command(String...)} against any server on {@code host:port}, such as a Sentinel. */
  static String command(String host, int port, String password, String... arguments) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 1_000);
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      if (password != null) {
        send(out, "AUTH", password);
        readReply(in);
      }
      send(out, arguments);
      return readReply(in);
    }
  }

  private static void send(OutputStream out, String... arguments) throws IOException {
    StringBuilder request = new StringBuilder("*").append(arguments.length).append("\r\n");
    for (String argument : arguments) {
      byte[] bytes = argument.getBytes(StandardCharsets.UTF_8);
      request.append('$').append(bytes.length).append("\r\n").append(argument).append("\r\n");
    }
    out.write(request.toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static String readReply(InputStream in) throws IOException {
    String line = readLine(in);
    if (line.startsWith("$")) {
      int length = Integer.parseInt(line.substring(1));
      if (length < 0) {
        return "";
      }
      byte[] body = in.readNBytes(length + 2);
      return new String(body, 0, length, StandardCharsets.UTF_8);
    }
    return line;
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\r') {
        in.read();
        return line.toString();
      }
      line.append((char) c);
    }
    throw new IOException("connection closed while reading a reply");
  }

  /** Stops the process with SIGTERM and waits for it to exit. */
  public synchronized void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      awaitExit();
    }
  }

  /** Kills the process with SIGKILL: no shutdown save, as in a crash. */
  public synchronized void kill() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      awaitExit();
    }
  }

  /** Freezes the process with SIGSTOP: connections stay open but nothing answers. */
  public void pause() {
    signal("STOP");
  }

  /** Resumes a paused process with SIGCONT. */
  public void resume() {
    signal("CONT");
  }

  /** Stops (if running) and starts the process again on the same port and data directory. */
  public synchronized void restart() {
    stop();
    startProcess();
  }

  private void signal(String name) {
    long pid = pid();
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException("kill -" + name + " " + pid + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling redis-server", e);
    }
  }

  private void awaitExit() {
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private synchronized Process requireRunning() {
    if (process == null || !process.isAlive()) {
      throw new IllegalStateException("redis-server on port " + port + " is not running");
    }
    return process;
  }

  private String logTail() {
    try {
      Path log = directory.resolve("redis.log");
      Path out = directory.resolve("stdout.log");
      Path chosen = Files.exists(log) && Files.size(log) > 0 ? log : out;
      List<String> lines = Files.readAllLines(chosen);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Kills the process if it still runs and deletes its data directory. */
  @Override
  public synchronized void close() {
    stop();
    deleteDirectory(directory);
  }

  static void deleteDirectory(Path directory) {
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temp directory is harmless
    }
  }

  /** A free TCP port on the loopback interface, as the OS hands it out. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free loopback port: " + e.getMessage(), e);
    }
  }

  /** Describes a server to start. */
  public static final class Builder {
    private String binary = defaultBinary();
    private final List<String> options = new ArrayList<>();
    private String password;
    private Integer port;

    private Builder() {}

    /** The binary to run; default {@code REDIS_SERVER_BIN} or {@code redis-server} on PATH. */
    public Builder binary(String binary) {
      this.binary = Objects.requireNonNull(binary, "binary");
      return this;
    }

    /** Append-only persistence with {@code appendfsync always} when on; default off. */
    public Builder appendOnly(boolean appendOnly) {
      if (appendOnly) {
        options.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
      }
      return this;
    }

    /** Requires clients to authenticate with this password; default none. */
    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /** Listens on this port instead of a free one. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Extra {@code --option value} arguments passed to redis-server as given. */
    public Builder options(String... extra) {
      options.addAll(List.of(extra));
      return this;
    }

    /** Starts the server and waits until it answers PING. */
    public RedisServer start() {
      return create().startProcess();
    }

    /** Reserves a port and data directory without starting the process. */
    public RedisServer create() {
      try {
        Path directory = Files.createTempDirectory("workqueue-redis-");
        return new RedisServer(this, directory, port != null ? port : freePort());
      } catch (IOException e) {
        throw new IllegalStateException("could not create a data directory: " + e.getMessage(), e);
      }
    }
  }
}
