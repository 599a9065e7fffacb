package dev.workqueue.metrics.otel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.workqueue.AttemptAbandonedException;
import dev.workqueue.BackendUnavailableException;
import dev.workqueue.Consumer;
import dev.workqueue.EnqueueResult;
import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.Job;
import dev.workqueue.JobHandler;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.RetryPolicy;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.metrics.CapturedLog;
import dev.workqueue.spi.JobInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class OpenTelemetryJobInterceptorTest {
  private static final String QUEUE = "orders";
  private static final org.slf4j.Logger handlerLog = LoggerFactory.getLogger("test.handler");

  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final OpenTelemetrySdk openTelemetry = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
      .build();
  private final JobInterceptor tracing = OpenTelemetryJobInterceptor.builder(openTelemetry).build();
  private final InMemoryQueueBackend backend = InMemoryQueueBackend.create();
  private final Producer producer = Producer.builder(backend).defaultQueue(QUEUE).interceptor(tracing).build();
  private final List<Consumer> consumers = new ArrayList<>();

  @AfterEach
  void closeAll() {
    consumers.forEach(Consumer::close);
    producer.close();
    backend.close();
    openTelemetry.close();
  }

  @Test
  void producerAndConsumerSpansOfOneJobShareOneTrace() {
    EnqueueResult enqueued = producer.enqueue(NewJob.builder("hello").priority("default").build());
    startConsumer(job -> {});

    await().atMost(Duration.ofSeconds(10)).until(() -> exporter.getFinishedSpanItems().size() == 2);
    SpanData producerSpan = onlySpan(SpanKind.PRODUCER);
    SpanData consumerSpan = onlySpan(SpanKind.CONSUMER);

    assertThat(producerSpan.getName()).isEqualTo("send orders");
    assertThat(producerSpan.getParentSpanContext().isValid()).isFalse();
    assertThat(producerSpan.getAttributes().asMap()).containsAllEntriesOf(Map.of(
        AttributeKey.stringKey("messaging.system"), "workqueue",
        AttributeKey.stringKey("messaging.destination.name"), QUEUE,
        AttributeKey.stringKey("messaging.operation.type"), "send",
        AttributeKey.stringKey("messaging.operation.name"), "send",
        AttributeKey.stringKey("messaging.message.id"), enqueued.jobId(),
        AttributeKey.longKey("messaging.message.body.size"), 5L));

    assertThat(consumerSpan.getName()).isEqualTo("process orders");
    assertThat(consumerSpan.getTraceId()).isEqualTo(producerSpan.getTraceId());
    assertThat(consumerSpan.getParentSpanId()).isEqualTo(producerSpan.getSpanId());
    assertThat(consumerSpan.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(consumerSpan.getAttributes().asMap()).containsAllEntriesOf(Map.of(
        AttributeKey.stringKey("messaging.system"), "workqueue",
        AttributeKey.stringKey("messaging.destination.name"), QUEUE,
        AttributeKey.stringKey("messaging.operation.type"), "process",
        AttributeKey.stringKey("messaging.message.id"), enqueued.jobId(),
        AttributeKey.stringKey("workqueue.job.priority"), "default",
        AttributeKey.longKey("workqueue.job.attempt"), 1L,
        AttributeKey.stringKey("workqueue.job.outcome"), "success"));
  }

  @Test
  void aRetryProducesASecondConsumerSpanUnderTheSameProducerSpan() {
    producer.enqueue("flaky");
    startConsumer(job -> {
      if (job.attempt() == 1) {
        throw new IllegalStateException("first attempt fails");
      }
    });

    await().atMost(Duration.ofSeconds(10)).until(() -> exporter.getFinishedSpanItems().size() == 3);
    SpanData producerSpan = onlySpan(SpanKind.PRODUCER);
    List<SpanData> attempts = consumerSpansByAttempt();

    assertThat(attempts).hasSize(2).allSatisfy(attempt -> {
      assertThat(attempt.getTraceId()).isEqualTo(producerSpan.getTraceId());
      assertThat(attempt.getParentSpanId()).isEqualTo(producerSpan.getSpanId());
    });
    SpanData failed = attempts.get(0);
    assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(failed.getAttributes().get(AttributeKey.stringKey("workqueue.job.outcome"))).isEqualTo("failure");
    assertThat(failed.getAttributes().get(AttributeKey.stringKey("error.type")))
        .isEqualTo(IllegalStateException.class.getName());
    assertThat(failed.getEvents()).extracting(event -> event.getName()).containsExactly("exception");
    SpanData succeeded = attempts.get(1);
    assertThat(succeeded.getAttributes().get(AttributeKey.longKey("workqueue.job.attempt"))).isEqualTo(2L);
    assertThat(succeeded.getAttributes().get(AttributeKey.stringKey("workqueue.job.outcome"))).isEqualTo("success");
  }

  @Test
  void logLinesOfTheHandlerCarryTheConsumerSpanIdsWhichGiveWayAfterwardsEvenWhenItThrows() {
    ListAppender<ILoggingEvent> captured = captureLog();
    List<Map<String, String>> mdcAfterHandler = new CopyOnWriteArrayList<>();
    JobInterceptor mdcProbe = new JobInterceptor() {
      @Override
      public void aroundHandle(Job job, HandleChain chain) throws Exception {
        try {
          chain.proceed(job);
        } finally {
          mdcAfterHandler.add(MDC.getCopyOfContextMap());
        }
      }
    };
    producer.enqueue("logged");
    startConsumer(Consumer.builder(backend, job -> {
      handlerLog.info("handling attempt {}", job.attempt());
      if (job.attempt() == 1) {
        throw new IllegalStateException("first attempt fails");
      }
    }).interceptor(mdcProbe));

    await().atMost(Duration.ofSeconds(10)).until(() -> exporter.getFinishedSpanItems().size() == 3);
    List<SpanData> attempts = consumerSpansByAttempt();
    List<ILoggingEvent> lines = captured.list.stream()
        .sorted(Comparator.comparing(line -> line.getMDCPropertyMap().get("attempt")))
        .toList();

    assertThat(lines).hasSize(2);
    for (int i = 0; i < 2; i++) {
      Map<String, String> mdc = lines.get(i).getMDCPropertyMap();
      SpanData span = attempts.get(i);
      assertThat(mdc).containsEntry("trace_id", span.getTraceId())
          .containsEntry("span_id", span.getSpanId())
          .containsEntry("job_id", span.getAttributes().get(AttributeKey.stringKey("messaging.message.id")))
          .containsEntry("queue", QUEUE)
          .containsEntry("attempt", Integer.toString(i + 1));
    }
    // Outside the interceptor the MDC holds again what the consumer put there: the producer's ids.
    SpanData producerSpan = onlySpan(SpanKind.PRODUCER);
    assertThat(mdcAfterHandler).hasSize(2).allSatisfy(mdc -> assertThat(mdc)
        .containsEntry("trace_id", producerSpan.getTraceId())
        .containsEntry("span_id", producerSpan.getSpanId()));
  }

  @Test
  void theLibrarysOwnRetryWarningCarriesTheFailedAttemptsSpanIds() {
    ListAppender<ILoggingEvent> captured = captureLog("dev.workqueue.internal.DefaultConsumer");
    producer.enqueue("flaky");
    startConsumer(job -> {
      if (job.attempt() == 1) {
        throw new IllegalStateException("first attempt fails");
      }
    });

    await().atMost(Duration.ofSeconds(10)).until(() -> exporter.getFinishedSpanItems().size() == 3);
    SpanData failed = consumerSpansByAttempt().get(0);

    assertThat(captured.list)
        .filteredOn(line -> line.getLevel() == Level.WARN && line.getFormattedMessage().contains("retrying"))
        .singleElement()
        .satisfies(line -> assertThat(line.getMDCPropertyMap())
            .containsEntry("trace_id", failed.getTraceId())
            .containsEntry("span_id", failed.getSpanId())
            .containsEntry("attempt", "1"));
  }

  /**
   * The watchdog fails an attempt past its job timeout (it is retried); a handler that ignores the
   * interrupt and then returns must not leave a span that says the attempt succeeded.
   */
  @Test
  void anAttemptPastItsJobTimeoutEndsItsSpanAsAnErrorEvenWhenTheHandlerReturnsLater() {
    producer.enqueue("slow once");
    startConsumer(Consumer.builder(backend, job -> {
      long until = System.nanoTime() + Duration.ofMillis(600).toNanos();
      while (job.attempt() == 1 && System.nanoTime() < until) {
        Thread.interrupted(); // like a call that carries on through interrupts
      }
    }).jobTimeout(Duration.ofMillis(200)));

    await().atMost(Duration.ofSeconds(10)).until(() -> consumerSpansByAttempt().size() == 2);
    SpanData timedOut = consumerSpansByAttempt().get(0);
    assertThat(timedOut.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(timedOut.getAttributes().get(AttributeKey.stringKey("workqueue.job.outcome")))
        .isEqualTo("failure");
    assertThat(timedOut.getAttributes().get(AttributeKey.stringKey("error.type")))
        .isEqualTo(AttemptAbandonedException.class.getName());
  }

  /** A span without a trace state of its own must not leave the job with an older one beside it. */
  @Test
  void aJobCarryingAnOlderTraceContextLeavesWithTheProducerSpansAlone() {
    producer.enqueue(NewJob.builder("x")
        .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        .header("tracestate", "vendor=old").build());

    SpanData producerSpan = onlySpan(SpanKind.PRODUCER);
    Job stored = backend.peek(QUEUE, "default", 1).get(0);
    assertThat(stored.traceParent()).isEqualTo("00-" + producerSpan.getTraceId() + "-"
        + producerSpan.getSpanId() + "-" + producerSpan.getSpanContext().getTraceFlags().asHex());
    assertThat(stored.headers()).doesNotContainKey("tracestate");
  }

  @Test
  void enqueueAllGivesEachJobItsOwnProducerSpanUnderTheCallersSpan() {
    Span caller = openTelemetry.getTracer("test").spanBuilder("import").startSpan();
    List<EnqueueResult> results;
    try (Scope ignored = caller.makeCurrent()) {
      results = producer.enqueueAll(List.of(NewJob.of("a"), NewJob.of("b"), NewJob.builder("c").queue("other").build()));
    } finally {
      caller.end();
    }

    List<SpanData> producerSpans = exporter.getFinishedSpanItems().stream()
        .filter(span -> span.getKind() == SpanKind.PRODUCER).toList();
    assertThat(producerSpans).hasSize(3).allSatisfy(span -> {
      assertThat(span.getParentSpanId()).isEqualTo(caller.getSpanContext().getSpanId());
      assertThat(span.getAttributes().get(AttributeKey.longKey("messaging.batch.message_count"))).isEqualTo(3L);
    });
    assertThat(producerSpans).extracting(SpanData::getName).containsExactly("send orders", "send orders", "send other");
    assertThat(producerSpans).extracting(span -> span.getAttributes().get(AttributeKey.stringKey("messaging.message.id")))
        .containsExactlyElementsOf(results.stream().map(EnqueueResult::jobId).toList());
    List<Job> stored = new ArrayList<>(backend.peek(QUEUE, "default", 10));
    stored.addAll(backend.peek("other", "default", 10));
    assertThat(stored).extracting(Job::traceParent).containsExactlyInAnyOrderElementsOf(producerSpans.stream()
        .map(span -> "00-" + span.getTraceId() + "-" + span.getSpanId() + "-"
            + span.getSpanContext().getTraceFlags().asHex()).toList());
  }

  @Test
  void aFailedEnqueueIsRecordedOnItsProducerSpan() {
    JobInterceptor unavailable = new JobInterceptor() {
      @Override
      public List<EnqueueResult> aroundEnqueue(List<NewJob> jobs, EnqueueChain chain) {
        throw new BackendUnavailableException("backend down", null);
      }
    };
    try (Producer failing = Producer.builder(backend).defaultQueue(QUEUE).interceptor(tracing)
        .interceptor(unavailable).build()) {
      assertThatThrownBy(() -> failing.enqueue("x")).isInstanceOf(BackendUnavailableException.class);
    }

    SpanData span = onlySpan(SpanKind.PRODUCER);
    assertThat(span.getName()).isEqualTo("send orders");
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("error.type")))
        .isEqualTo(BackendUnavailableException.class.getName());
  }

  @Test
  void aJobWithoutAQueueIsRefusedWithAnErrorSayingWhereQueuesComeFrom() {
    assertThatThrownBy(() -> tracing.aroundEnqueue(List.of(NewJob.of(new byte[] {1})), jobs -> List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a job without a queue reached aroundEnqueue")
        .hasMessageContaining("enqueue through a Producer");
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
  }

  /** The refusal came when the job's span was due, after the spans of earlier jobs had started. */
  @Test
  void aJobWithoutAQueueLaterInABatchLeavesNoProducerSpanOpen() {
    List<ReadableSpan> started = new CopyOnWriteArrayList<>();
    SpanProcessor recordStarts = new SpanProcessor() {
      @Override
      public void onStart(Context parentContext, ReadWriteSpan span) {
        started.add(span);
      }

      @Override
      public boolean isStartRequired() {
        return true;
      }

      @Override
      public void onEnd(ReadableSpan span) {}

      @Override
      public boolean isEndRequired() {
        return false;
      }
    };
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(recordStarts).build()).build()) {
      JobInterceptor recorded = OpenTelemetryJobInterceptor.builder(sdk).build();
      List<NewJob> batch = List.of(NewJob.builder("a").queue(QUEUE).build(), NewJob.of("b"));

      assertThatThrownBy(() -> recorded.aroundEnqueue(batch, jobs -> List.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("a job without a queue reached aroundEnqueue");
      assertThat(started).allSatisfy(span -> assertThat(span.hasEnded()).as(span.getName()).isTrue());
    }
  }

  @Test
  void aDisabledInterceptorCreatesNoSpanAndLeavesJobsAndMdcAlone() throws Exception {
    JobInterceptor disabled = OpenTelemetryJobInterceptor.builder(openTelemetry).enabled(false).build();
    List<String> traceIdsSeen = new CopyOnWriteArrayList<>();
    try (Producer plain = Producer.builder(backend).defaultQueue(QUEUE).interceptor(disabled).build()) {
      plain.enqueue("x");
    }
    Job stored = backend.peek(QUEUE, "default", 1).get(0);
    disabled.aroundHandle(stored, job -> traceIdsSeen.add(String.valueOf(MDC.get("trace_id"))));

    assertThat(stored.headers()).isEmpty();
    assertThat(traceIdsSeen).containsExactly("null");
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
    // The builders leave it out of their chains: switched off, tracing costs nothing per job.
    assertThat(disabled).isSameAs(JobInterceptor.PASS_THROUGH);
  }

  @Test
  void onTheBareApiWithoutAnSdkJobsGetNoHeadersAndTheMdcNoIds() throws Exception {
    JobInterceptor apiOnly = OpenTelemetryJobInterceptor.builder(OpenTelemetry.noop()).build();
    List<String> traceIdsSeen = new CopyOnWriteArrayList<>();
    List<Context> contextsSeen = new CopyOnWriteArrayList<>();
    try (Producer plain = Producer.builder(backend).defaultQueue(QUEUE).interceptor(apiOnly).build()) {
      plain.enqueue("x");
    }
    Job stored = backend.peek(QUEUE, "default", 1).get(0);
    apiOnly.aroundHandle(stored, job -> {
      traceIdsSeen.add(String.valueOf(MDC.get("trace_id")));
      contextsSeen.add(Context.current());
    });

    assertThat(stored.headers()).isEmpty();
    assertThat(traceIdsSeen).containsExactly("null");
    // An invalid span carries nothing, so it is not made current.
    assertThat(contextsSeen).containsExactly(Context.current());
  }

  @Test
  void onTheBareApiACallersSpanStillReachesTheJobs() {
    JobInterceptor apiOnly = OpenTelemetryJobInterceptor.builder(OpenTelemetry.noop()).build();
    Span caller = openTelemetry.getTracer("test").spanBuilder("caller").startSpan();
    try (Producer plain = Producer.builder(backend).defaultQueue(QUEUE).interceptor(apiOnly).build();
        Scope ignored = caller.makeCurrent()) {
      plain.enqueue("x");
    } finally {
      caller.end();
    }

    Job stored = backend.peek(QUEUE, "default", 1).get(0);
    assertThat(stored.traceParent()).contains(caller.getSpanContext().getTraceId())
        .contains(caller.getSpanContext().getSpanId());
  }

  @Test
  void onTheBareApiAProducersContextInTheJobStillReachesTheHandler() throws Exception {
    JobInterceptor apiOnly = OpenTelemetryJobInterceptor.builder(OpenTelemetry.noop()).build();
    producer.enqueue("traced by an SDK");
    Job stored = backend.peek(QUEUE, "default", 1).get(0);
    SpanData producerSpan = onlySpan(SpanKind.PRODUCER);
    List<String> seen = new CopyOnWriteArrayList<>();

    apiOnly.aroundHandle(stored, job -> {
      seen.add(Span.current().getSpanContext().getSpanId());
      seen.add(MDC.get("span_id"));
    });

    assertThat(seen).containsExactly(producerSpan.getSpanId(), producerSpan.getSpanId());
    assertThat(MDC.get("span_id")).isNull();
  }

  @Test
  void buildReportsEveryInvalidSetting() {
    assertThatThrownBy(() -> OpenTelemetryJobInterceptor.builder(null).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid opentelemetry job interceptor: openTelemetry must be set, but was null");
  }

  private void startConsumer(JobHandler handler) {
    startConsumer(Consumer.builder(backend, handler));
  }

  private void startConsumer(Consumer.Builder builder) {
    Consumer consumer = builder.queue(QUEUE)
        .fetchWait(Duration.ofMillis(20))
        .retryPolicy(RetryPolicy.builder().maxAttempts(3).initialBackoff(Duration.ofMillis(1))
            .maxBackoff(Duration.ofMillis(5)).jitter(0).build())
        .interceptor(tracing)
        .build();
    consumers.add(consumer);
    consumer.start();
  }

  private SpanData onlySpan(SpanKind kind) {
    List<SpanData> spans = exporter.getFinishedSpanItems().stream().filter(span -> span.getKind() == kind).toList();
    assertThat(spans).hasSize(1);
    return spans.get(0);
  }

  private List<SpanData> consumerSpansByAttempt() {
    return exporter.getFinishedSpanItems().stream()
        .filter(span -> span.getKind() == SpanKind.CONSUMER)
        .sorted(Comparator.comparing(span -> span.getAttributes().get(AttributeKey.longKey("workqueue.job.attempt"))))
        .toList();
  }

  private static ListAppender<ILoggingEvent> captureLog() {
    return captureLog("test.handler");
  }

  private static ListAppender<ILoggingEvent> captureLog(String loggerName) {
    return CapturedLog.of(loggerName);
  }
}
