package dev.workqueue.runner.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.workqueue.internal.NamedThreads;
import dev.workqueue.runner.internal.config.Durations;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runner's HTTP endpoints on the JDK's server: {@code /healthz} (200 while the process is
 * up), {@code /readyz} (200 while {@link Readiness} says so, else 503 with a one-line reason)
 * and {@code /metrics} (the Prometheus text exposition).
 *
 * <p>A readiness check may block (a ping to a Redis that does not answer waits out the socket
 * timeout), so it never runs on the server's threads: one check at a time runs on a thread of
 * its own, every {@code /readyz} request that arrives meanwhile shares its outcome, and a request
 * whose check takes longer than {@link #READINESS_WAIT} is answered 503 at that point. The server's
 * threads stay free for {@code /healthz} and {@code /metrics}.
 */
public final class HttpEndpoints implements AutoCloseable {
  /** Content type of the Prometheus text exposition format 0.0.4. */
  public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  /** Longest a {@code /readyz} request waits for the readiness check before it is answered 503. */
  public static final Duration READINESS_WAIT = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(HttpEndpoints.class);
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final String REQUEST_TIME_LIMIT_PROPERTY = "sun.net.httpserver.maxReqTime";

  static {
    // The JDK's server reads a request on one of the two pool threads and by default waits for
    // the rest of it for ever: two clients that send half a request and stall held both threads,
    // and /healthz went unanswered, so a liveness probe would have restarted the process. With a
    // limit (in seconds, read when the first server is created) such a connection is closed.
    if (System.getProperty(REQUEST_TIME_LIMIT_PROPERTY) == null) {
      System.setProperty(REQUEST_TIME_LIMIT_PROPERTY, "5");
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final Readiness readiness;
  // One thread runs the check in progress; the other answers the requests that stop waiting for it.
  private final ScheduledThreadPoolExecutor readinessThreads =
      new ScheduledThreadPoolExecutor(2, NamedThreads.numbered("runner", "readiness"));
  private final AtomicBoolean closed = new AtomicBoolean();
  private CompletableFuture<String> check;

  /** Decides readiness. */
  @FunctionalInterface
  public interface Readiness {
    /** Null when ready, else a one-line reason. */
    String notReadyReason();
  }

  private HttpEndpoints(HttpServer server, ExecutorService executor, Readiness readiness) {
    this.server = server;
    this.executor = executor;
    this.readiness = readiness;
    readinessThreads.setRemoveOnCancelPolicy(true);
  }

  /**
   * Binds and starts serving; {@code metrics} is {@code null} when metrics are switched off, and
   * {@code /metrics} then answers 404 rather than an empty scrape that would look healthy.
   *
   * @throws IOException if the address cannot be bound (for example the port is taken)
   */
  public static HttpEndpoints start(String bind, int port, Readiness readiness,
      Supplier<String> metrics) throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(bind, port), 0);
    } catch (IOException e) {
      throw new IOException("cannot listen on " + bind + ":" + port + " (http.bind, http.port): "
          + e.getMessage(), e);
    }
    ExecutorService executor = Executors.newFixedThreadPool(2, NamedThreads.numbered("runner", "http"));
    server.setExecutor(executor);
    HttpEndpoints endpoints = new HttpEndpoints(server, executor, readiness);
    server.createContext("/healthz", only("/healthz", exchange -> respond(exchange, 200, TEXT, "ok\n")));
    server.createContext("/readyz", only("/readyz", endpoints::answerReadiness));
    server.createContext("/metrics", only("/metrics", exchange -> {
      if (metrics == null) {
        respond(exchange, 404, TEXT, "metrics are switched off (metrics.enabled: false)\n");
        return;
      }
      String body;
      try {
        body = metrics.get();
      } catch (RuntimeException e) {
        log.warn("metrics scrape failed: {}", e.toString());
        respond(exchange, 500, TEXT, "metrics scrape failed\n");
        return;
      }
      respond(exchange, 200, PROMETHEUS_CONTENT_TYPE, body);
    }));
    server.start();
    // An IPv6 address is bracketed in a URL, so that the line's address can be copied as it is.
    String host = bind.contains(":") ? "[" + bind + "]" : bind;
    log.info("serving /healthz, /readyz and /metrics on http://{}:{}", host, endpoints.port());
    return endpoints;
  }

  /** The bound port (useful when configured as 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * {@code handler} for GET and HEAD requests of exactly {@code path}. The server hands a context
   * every path that starts with its own, so a probe of {@code /healthzz} or {@code /readyz/x} would
   * pass, and a POST would be served like a GET.
   */
  private static HttpHandler only(String path, HttpHandler handler) {
    return exchange -> {
      if (!exchange.getRequestURI().getPath().equals(path)) {
        respond(exchange, 404, TEXT, "not found\n");
      } else if (!List.of("GET", "HEAD").contains(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(exchange, 405, TEXT, "method not allowed\n");
      } else {
        handler.handle(exchange);
      }
    };
  }

  /** Returns at once; the answer is sent when the check ends or the wait for it does. */
  private void answerReadiness(HttpExchange exchange) {
    CompletableFuture<String> reason = new CompletableFuture<>();
    ScheduledFuture<?> giveUp = readinessThreads.schedule(
        () -> reason.complete("readiness check still running after " + Durations.format(READINESS_WAIT)),
        READINESS_WAIT.toNanos(), TimeUnit.NANOSECONDS);
    currentCheck().thenAccept(reason::complete);
    reason.thenAccept(notReady -> {
      giveUp.cancel(false);
      try {
        if (notReady == null) {
          respond(exchange, 200, TEXT, "ready\n");
        } else {
          respond(exchange, 503, TEXT, oneLine(notReady) + "\n");
        }
      } catch (IOException e) {
        log.debug("could not answer /readyz: {}", e.toString());
      }
    });
  }

  /** The check in progress, or a new one if none is. */
  private synchronized CompletableFuture<String> currentCheck() {
    if (check == null || check.isDone()) {
      check = CompletableFuture.supplyAsync(this::notReadyReason, readinessThreads);
    }
    return check;
  }

  private String notReadyReason() {
    try {
      return readiness.notReadyReason();
    } catch (RuntimeException e) {
      return "readiness check failed: " + e;
    }
  }

  private static void respond(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", contentType);
      if ("HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(status, -1);
        return;
      }
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s*\\R\\s*", " ").trim();
  }

  /** Stops serving at once and releases the port. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.stop(0);
      executor.shutdownNow();
      readinessThreads.shutdownNow();
    }
  }
}
