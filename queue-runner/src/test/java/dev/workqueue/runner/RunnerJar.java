package dev.workqueue.runner;

import static org.awaitility.Awaitility.await;

import dev.workqueue.testkit.redis.RedisServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the shaded runner jar as a child process, the way an operator would. */
final class RunnerJar {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private RunnerJar() {}

  static Path jar() {
    Path jar = Path.of(System.getProperty("runner.jar", "target/queue-runner.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("build the jar first (mvn package): " + jar.toAbsolutePath());
    }
    return jar;
  }

  /**
   * Settings of a runner on the Redis at {@code redisUrl} and on {@code queue}, its HTTP endpoints on
   * a free port so that runners of tests beside it do not collide.
   */
  static Map<String, String> redisEnv(String redisUrl, String queue) {
    return Map.of("WORKQUEUE_REDIS_URL", redisUrl, "WORKQUEUE_QUEUE_NAME", queue,
        "WORKQUEUE_HTTP_PORT", Integer.toString(RedisServer.freePort()));
  }

  /** Starts {@code java -jar queue-runner.jar args...} with only {@code env} as WORKQUEUE_* settings. */
  static Child start(Path workDir, Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar().toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("WORKQUEUE_"));
    builder.environment().putAll(env);
    Path stdout = Files.createTempFile(workDir, "stdout-", ".log");
    Path stderr = Files.createTempFile(workDir, "stderr-", ".log");
    builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    return new Child(builder.start(), stdout, stderr);
  }

  /** Runs a command to completion, feeding {@code stdin}. */
  static Child run(Path workDir, Map<String, String> env, String stdin, String... args)
      throws IOException, InterruptedException {
    Child child = start(workDir, env, args);
    try (var in = child.process().getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    child.awaitExit(Duration.ofSeconds(60));
    return child;
  }

  /** Status and body of a GET, or status -1 when nothing answers. */
  static HttpResponse<String> get(int port, String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  static int status(int port, String path) {
    HttpResponse<String> response = get(port, path);
    return response == null ? -1 : response.statusCode();
  }

  /** A running or finished runner process and its captured output. */
  record Child(Process process, Path stdoutFile, Path stderrFile) implements AutoCloseable {
    int awaitExit(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("runner did not exit within " + timeout + "; stderr:\n" + stderr());
      }
      return process.exitValue();
    }

    int exitCode() {
      return process.exitValue();
    }

    /** Sends SIGTERM. */
    void terminate() {
      process.destroy();
    }

    String stdout() {
      return read(stdoutFile);
    }

    String stderr() {
      return read(stderrFile);
    }

    void awaitHealthy(int port) {
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        if (!process.isAlive()) {
          throw new AssertionError("runner exited with " + process.exitValue() + ":\n" + stderr());
        }
        return status(port, "/healthz") == 200;
      });
    }

    private static String read(Path file) {
      try {
        return Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(unreadable: " + e + ")";
      }
    }

    /** Kills the process if a test left it running. */
    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
