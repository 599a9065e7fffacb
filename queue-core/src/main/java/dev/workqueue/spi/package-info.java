/**
 * Service-provider interfaces: {@link dev.workqueue.spi.QueueBackend} for storage engines,
 * {@link dev.workqueue.spi.QueueObserver} for event listeners such as metrics, and
 * {@link dev.workqueue.spi.JobInterceptor} for wrappers such as tracing.
 */
package dev.workqueue.spi;
