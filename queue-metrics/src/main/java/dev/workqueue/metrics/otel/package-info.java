/**
 * OpenTelemetry tracing and log enrichment for workqueue, on the OpenTelemetry API only: {@link
 * dev.workqueue.metrics.otel.OpenTelemetryJobInterceptor} opens producer and consumer spans
 * joined through the job's W3C traceparent and puts the trace and span ids in the SLF4J MDC while
 * a handler runs.
 */
package dev.workqueue.metrics.otel;
