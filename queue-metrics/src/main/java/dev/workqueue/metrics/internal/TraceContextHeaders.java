package dev.workqueue.metrics.internal;

import dev.workqueue.Job;
import dev.workqueue.NewJob;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.HashMap;
import java.util.Map;

/** Writes a span context into job headers and reads it back, in W3C Trace Context format. */
public final class TraceContextHeaders {
  private static final TextMapPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final String TRACESTATE = "tracestate";

  private static final TextMapGetter<Job> JOB_HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Job job) {
      return job.headers().keySet();
    }

    @Override
    public String get(Job job, String key) {
      return job == null ? null : job.headers().get(key);
    }
  };

  private TraceContextHeaders() {}

  /**
   * {@code job} with the {@code traceparent} (and {@code tracestate}, if any) of {@code span}
   * under {@code parent} added; {@code job} itself when the span is not valid (no SDK installed).
   */
  public static NewJob inject(Context parent, Span span, NewJob job) {
    if (!span.getSpanContext().isValid()) {
      return job;
    }
    Map<String, String> headers = new HashMap<>(4);
    // Without a trace state of its own, the span must not inherit one the job carried already.
    headers.put(TRACESTATE, null);
    W3C.inject(parent.with(span), headers, Map::put);
    return job.withHeaders(headers);
  }

  /** The producer's context carried by {@code job}, or the root context when it carries none. */
  public static Context extract(Job job) {
    return job.traceParent() == null ? Context.root() : W3C.extract(Context.root(), job, JOB_HEADERS);
  }
}
