package dev.workqueue.metrics.otel;

import static dev.workqueue.metrics.internal.MessagingAttributes.BATCH_COUNT;
import static dev.workqueue.metrics.internal.MessagingAttributes.BODY_SIZE;
import static dev.workqueue.metrics.internal.MessagingAttributes.DESTINATION;
import static dev.workqueue.metrics.internal.MessagingAttributes.ERROR_TYPE;
import static dev.workqueue.metrics.internal.MessagingAttributes.JOB_ATTEMPT;
import static dev.workqueue.metrics.internal.MessagingAttributes.JOB_DUPLICATE;
import static dev.workqueue.metrics.internal.MessagingAttributes.JOB_OUTCOME;
import static dev.workqueue.metrics.internal.MessagingAttributes.JOB_PRIORITY;
import static dev.workqueue.metrics.internal.MessagingAttributes.MESSAGE_ID;
import static dev.workqueue.metrics.internal.MessagingAttributes.OPERATION_NAME;
import static dev.workqueue.metrics.internal.MessagingAttributes.OPERATION_TYPE;
import static dev.workqueue.metrics.internal.MessagingAttributes.PROCESS;
import static dev.workqueue.metrics.internal.MessagingAttributes.SEND;
import static dev.workqueue.metrics.internal.MessagingAttributes.SYSTEM;
import static dev.workqueue.metrics.internal.MessagingAttributes.SYSTEM_NAME;

import dev.workqueue.EnqueueResult;
import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.Job;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.internal.Problems;
import dev.workqueue.metrics.internal.SpanNames;
import dev.workqueue.metrics.internal.TraceContextHeaders;
import dev.workqueue.spi.JobInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.MDC;

/**
 * Traces jobs with the OpenTelemetry API; the host brings the SDK and exporter. Register the same
 * instance as an interceptor of the producer and of the consumer.
 *
 * <ul>
 *   <li><b>Producer:</b> each enqueued job gets its own {@link SpanKind#PRODUCER} span named
 *       {@code send <queue>}, a child of the caller's current span, even when {@link
 *       Producer#enqueueAll(List)} stores a batch in one round trip. The span's W3C {@code
 *       traceparent} (and {@code tracestate}) is written into the job's headers ({@link
 *       Job#TRACEPARENT_HEADER}).
 *   <li><b>Consumer:</b> each handler attempt runs in a {@link SpanKind#CONSUMER} span named
 *       {@code process <queue>} whose <em>parent</em> is the producer span read from the job, so
 *       enqueue and every attempt form one trace and a retry shows as a sibling attempt. A job has
 *       exactly one producer, so a parent loses nothing that a link would keep, and trace views
 *       show the whole journey without following links. A job enqueued without a trace starts a
 *       new trace. While the span is current the SLF4J MDC holds its {@value #TRACE_ID_MDC_KEY}
 *       and {@value #SPAN_ID_MDC_KEY}, next to the {@code job_id}, {@code queue} and {@code
 *       attempt} keys the consumer sets; afterwards, also when the handler throws, they are
 *       restored to what they were: the producer span's ids, which the consumer puts there for
 *       a job that carries a traceparent, or none.
 * </ul>
 *
 * <p>Attributes follow the OpenTelemetry messaging conventions: {@code messaging.system} = {@code
 * workqueue}, {@code messaging.destination.name} (the queue), {@code messaging.operation.type} and
 * {@code messaging.operation.name} ({@code send} or {@code process}), {@code
 * messaging.message.id} (the job id), {@code messaging.message.body.size}, and for batches {@code
 * messaging.batch.message_count}; plus {@code workqueue.job.priority}, {@code
 * workqueue.job.attempt} and {@code workqueue.job.outcome} ({@code success} or {@code failure}).
 * A failed attempt or enqueue records the exception, sets {@code error.type} and the span status
 * to error.
 *
 * <p>On the bare API (no SDK installed: {@link TracerProvider#noop()}) no span is recorded; the
 * interceptor still passes on a context that the enqueuing caller or the job already carries, and
 * otherwise only looks up the job's {@code traceparent} header.
 */
public final class OpenTelemetryJobInterceptor implements JobInterceptor {

  /** MDC key of the current trace id (32 hex digits). */
  public static final String TRACE_ID_MDC_KEY = "trace_id";
  /** MDC key of the current span id (16 hex digits). */
  public static final String SPAN_ID_MDC_KEY = "span_id";
  /** The instrumentation scope name of the spans: {@value}. */
  public static final String INSTRUMENTATION_NAME = "dev.workqueue";

  private final Tracer tracer;
  /** False on the API's no-op tracer provider (no SDK installed), whose spans only pass a parent on. */
  private final boolean createsSpans;
  private final SpanNames sendSpanNames = new SpanNames(SEND);
  private final SpanNames processSpanNames = new SpanNames(PROCESS);

  private OpenTelemetryJobInterceptor(TracerProvider tracerProvider) {
    this.tracer = tracerProvider.get(INSTRUMENTATION_NAME);
    this.createsSpans = tracerProvider != TracerProvider.noop();
  }

  /** Starts an interceptor tracing through {@code openTelemetry}. */
  public static Builder builder(OpenTelemetry openTelemetry) {
    return new Builder(openTelemetry);
  }

  @Override
  public List<EnqueueResult> aroundEnqueue(List<NewJob> jobs, EnqueueChain chain) {
    Context parent = Context.current();
    if (!createsSpans && !Span.fromContext(parent).getSpanContext().isValid()) {
      // Without an SDK each producer span would be the caller's span, and the caller has none.
      return chain.proceed(jobs);
    }
    // Checked before any span starts: a refusal halfway through would leave earlier spans open.
    for (NewJob job : jobs) {
      if (job.queue() == null) {
        throw new IllegalArgumentException("a job without a queue reached aroundEnqueue; producers fill in "
            + "their default queue before they call interceptors, so enqueue through a Producer");
      }
    }
    int count = jobs.size();
    List<Span> spans = new ArrayList<>(count);
    List<NewJob> traced = new ArrayList<>(count);
    for (NewJob job : jobs) {
      Span span = startProducerSpan(parent, job, count);
      spans.add(span);
      traced.add(TraceContextHeaders.inject(parent, span, job));
    }
    List<EnqueueResult> results;
    try {
      results = chain.proceed(traced);
    } catch (RuntimeException | Error e) {
      for (Span span : spans) {
        recordFailure(span, e);
        span.end();
      }
      throw e;
    }
    for (int i = 0; i < count; i++) {
      Span span = spans.get(i);
      EnqueueResult result = results.get(i);
      span.setAttribute(MESSAGE_ID, result.jobId());
      if (!result.created()) {
        span.setAttribute(JOB_DUPLICATE, true);
      }
      span.end();
    }
    return results;
  }

  private Span startProducerSpan(Context parent, NewJob job, int batchSize) {
    String queue = job.queue();
    SpanBuilder builder = tracer.spanBuilder(sendSpanNames.of(queue))
        .setSpanKind(SpanKind.PRODUCER)
        .setParent(parent)
        .setAttribute(SYSTEM, SYSTEM_NAME)
        .setAttribute(DESTINATION, queue)
        .setAttribute(OPERATION_TYPE, SEND)
        .setAttribute(OPERATION_NAME, SEND)
        .setAttribute(BODY_SIZE, (long) job.payloadSize());
    if (job.priority() != null) {
      builder.setAttribute(JOB_PRIORITY, job.priority());
    }
    if (batchSize > 1) {
      builder.setAttribute(BATCH_COUNT, (long) batchSize);
    }
    return builder.startSpan();
  }

  @Override
  public void aroundHandle(Job job, HandleChain chain) throws Exception {
    if (!createsSpans && job.traceParent() == null) {
      // Without an SDK the span would be the producer's, and the job carries none.
      chain.proceed(job);
      return;
    }
    Span span = tracer.spanBuilder(processSpanNames.of(job.queue()))
        .setSpanKind(SpanKind.CONSUMER)
        .setParent(TraceContextHeaders.extract(job))
        .setAttribute(SYSTEM, SYSTEM_NAME)
        .setAttribute(DESTINATION, job.queue())
        .setAttribute(OPERATION_TYPE, PROCESS)
        .setAttribute(OPERATION_NAME, PROCESS)
        .setAttribute(MESSAGE_ID, job.id())
        .setAttribute(BODY_SIZE, (long) job.payloadSize())
        .setAttribute(JOB_PRIORITY, job.priority())
        .setAttribute(JOB_ATTEMPT, (long) job.attempt())
        .startSpan();
    SpanContext spanContext = span.getSpanContext();
    // Without an SDK, and without a producer's context in the job, the span is not valid: it has
    // no ids to log and nothing a handler could continue, so neither the MDC nor the current
    // context is touched.
    boolean valid = spanContext.isValid();
    String previousTraceId = valid ? MDC.get(TRACE_ID_MDC_KEY) : null;
    String previousSpanId = valid ? MDC.get(SPAN_ID_MDC_KEY) : null;
    try (Scope ignored = valid ? span.makeCurrent() : Scope.noop()) {
      if (valid) {
        MDC.put(TRACE_ID_MDC_KEY, spanContext.getTraceId());
        MDC.put(SPAN_ID_MDC_KEY, spanContext.getSpanId());
      }
      chain.proceed(job);
      span.setAttribute(JOB_OUTCOME, "success");
    } catch (Throwable failure) {
      span.setAttribute(JOB_OUTCOME, "failure");
      recordFailure(span, failure);
      throw failure;
    } finally {
      if (valid) {
        restore(TRACE_ID_MDC_KEY, previousTraceId);
        restore(SPAN_ID_MDC_KEY, previousSpanId);
      }
      span.end();
    }
  }

  private static void recordFailure(Span span, Throwable failure) {
    span.setAttribute(ERROR_TYPE, failure.getClass().getName());
    span.recordException(failure);
    span.setStatus(StatusCode.ERROR);
  }

  private static void restore(String key, String previous) {
    if (previous == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, previous);
    }
  }

  /** Builds the tracing interceptor; {@link #build()} validates and leaves the builder reusable. */
  public static final class Builder {
    private final OpenTelemetry openTelemetry;
    private boolean enabled = true;

    private Builder(OpenTelemetry openTelemetry) {
      this.openTelemetry = openTelemetry;
    }

    /**
     * Whether to trace at all; default {@code true}. When {@code false}, {@link #build()} returns
     * an interceptor that only calls on, without touching OpenTelemetry or the MDC.
     */
    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /**
     * The interceptor: an {@link OpenTelemetryJobInterceptor} when enabled, otherwise {@link
     * JobInterceptor#PASS_THROUGH}, which producers and consumers leave out of their chains.
     *
     * @throws InvalidConfigurationException naming every invalid argument
     */
    public JobInterceptor build() {
      new Problems("opentelemetry job interceptor")
          .notNull(openTelemetry, "openTelemetry")
          .throwIfAny();
      if (!enabled) {
        return JobInterceptor.PASS_THROUGH;
      }
      return new OpenTelemetryJobInterceptor(openTelemetry.getTracerProvider());
    }
  }
}
