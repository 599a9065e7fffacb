package dev.workqueue.examples;

import dev.workqueue.Consumer;
import dev.workqueue.Job;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.RetryPolicy;
import dev.workqueue.event.JobDeadLetteredEvent;
import dev.workqueue.event.JobSucceededEvent;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.metrics.micrometer.CachedWallClock;
import dev.workqueue.metrics.micrometer.MicrometerQueueObserver;
import dev.workqueue.metrics.micrometer.QueueLengthUpdater;
import dev.workqueue.metrics.otel.OpenTelemetryJobInterceptor;
import dev.workqueue.spi.JobInterceptor;
import dev.workqueue.spi.QueueObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.exporter.logging.LoggingSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires Micrometer metrics and OpenTelemetry tracing into a producer and a consumer on the
 * in-memory backend, runs a few jobs (some fail once and are retried, one is dead-lettered),
 * then prints the Prometheus scrape. Spans are written to the console by the SDK's logging
 * exporter; a real host would export them over OTLP instead.
 *
 * <p>Run: {@code ./mvnw -q -pl examples exec:java -Dexec.mainClass=dev.workqueue.examples.MetricsExample}
 */
public final class MetricsExample {
  private static final Logger log = LoggerFactory.getLogger(MetricsExample.class);
  private static final String QUEUE = "emails";

  private MetricsExample() {}

  /** Runs the example; takes no arguments. */
  public static void main(String[] args) throws InterruptedException {
    // The cached clock spares the duration histogram two system clock reads per job.
    CachedWallClock clock = CachedWallClock.start();
    PrometheusMeterRegistry registry =
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock);
    OpenTelemetrySdk openTelemetry = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(LoggingSpanExporter.create()))
            .build())
        .build();

    // One observer and one interceptor serve both the producer and the consumer.
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(Set.of(QUEUE))
        .queueLengthInterval(Duration.ofMillis(500))
        .build();
    JobInterceptor tracing = OpenTelemetryJobInterceptor.builder(openTelemetry)
        .enabled(true)
        .build();

    int jobs = 10;
    CountDownLatch settled = new CountDownLatch(jobs);
    QueueObserver settledCounter = new QueueObserver() {
      @Override
      public void onSucceeded(JobSucceededEvent event) {
        settled.countDown();
      }

      @Override
      public void onDeadLettered(JobDeadLetteredEvent event) {
        settled.countDown();
      }
    };

    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create();
        Producer producer = Producer.builder(backend).defaultQueue(QUEUE)
            .observer(metrics).interceptor(tracing).build();
        Consumer consumer = Consumer.builder(backend, MetricsExample::send)
            .name("mailer").queue(QUEUE).concurrency(2)
            .retryPolicy(RetryPolicy.builder().maxAttempts(3).initialBackoff(Duration.ofMillis(50)).build())
            .observer(metrics).observer(settledCounter).interceptor(tracing).build();
        QueueLengthUpdater lengths = metrics.startQueueLengthUpdater(backend)) {
      metrics.bindConsumer(consumer);

      List<NewJob> batch = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        String payload = i == 0 ? "bounce" : i % 3 == 0 ? "greylisted" : "welcome";
        batch.add(NewJob.of(payload));
      }
      producer.enqueueAll(batch);
      consumer.start();
      if (!settled.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(settled.getCount() + " jobs did not settle in time");
      }
      lengths.refresh();

      System.out.println("--- Prometheus scrape (workqueue meters) ---");
      registry.scrape().lines()
          .filter(line -> line.startsWith("jobs_") || line.startsWith("job_processing_duration_seconds_count")
              || line.startsWith("worker_active") || line.startsWith("circuit_breaker_state")
              || line.startsWith("queue_length"))
          .forEach(System.out::println);
    } finally {
      openTelemetry.close();
      registry.close();
      clock.close();
    }
  }

  /** The handler: "bounce" always fails, "greylisted" fails on its first attempt. */
  private static void send(Job job) {
    // The consumer span is current here, and the MDC holds job_id, queue, attempt, trace_id and
    // span_id. slf4j-simple ignores the MDC; with Logback a pattern such as
    // "%X{trace_id} %X{span_id} %X{job_id}" prints them on every line the handler logs.
    // Payloads may hold personal data: log the job id, never the payload.
    log.info("sending job {} (attempt {}, trace {})", job.id(), job.attempt(),
        Span.current().getSpanContext().getTraceId());
    String payload = job.payloadAsString();
    if (payload.equals("bounce") || (payload.equals("greylisted") && job.attempt() == 1)) {
      throw new IllegalStateException("mail server rejected " + payload);
    }
  }
}
