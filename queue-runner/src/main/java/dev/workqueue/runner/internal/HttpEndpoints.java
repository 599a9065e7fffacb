package dev.workqueue.runner.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.workqueue.internal.NamedThreads;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runner's HTTP endpoints on the JDK's server: {@code /healthz} (200 while the process is
 * up), {@code /readyz} (200 while {@link Readiness} says so, else 503 with a one-line reason)
 * and {@code /metrics} (the Prometheus text exposition).
 */
public final class HttpEndpoints implements AutoCloseable {
  /** Content type of the Prometheus text exposition format 0.0.4. */
  public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Logger log = LoggerFactory.getLogger(HttpEndpoints.class);
  private static final String TEXT = "text/plain; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Decides readiness. */
  @FunctionalInterface
  public interface Readiness {
    /** Null when ready, else a one-line reason. */
    String notReadyReason();
  }

  private HttpEndpoints(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds and starts serving.
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
    server.createContext("/healthz", exchange -> respond(exchange, 200, TEXT, "ok\n"));
    server.createContext("/readyz", exchange -> {
      String reason = readiness.notReadyReason();
      if (reason == null) {
        respond(exchange, 200, TEXT, "ready\n");
      } else {
        respond(exchange, 503, TEXT, oneLine(reason) + "\n");
      }
    });
    server.createContext("/metrics", exchange -> {
      String body;
      try {
        body = metrics.get();
      } catch (RuntimeException e) {
        log.warn("metrics scrape failed: {}", e.toString());
        respond(exchange, 500, TEXT, "metrics scrape failed\n");
        return;
      }
      respond(exchange, 200, PROMETHEUS_CONTENT_TYPE, body);
    });
    server.start();
    HttpEndpoints endpoints = new HttpEndpoints(server, executor);
    log.info("serving /healthz, /readyz and /metrics on http://{}:{}", bind, endpoints.port());
    return endpoints;
  }

  /** The bound port (useful when configured as 0). */
  public int port() {
    return server.getAddress().getPort();
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
    }
  }
}
