/**
 * The workqueue API: build a {@link dev.workqueue.Producer} to enqueue {@link dev.workqueue.Job}s
 * and a {@link dev.workqueue.Consumer} to run a {@link dev.workqueue.JobHandler} on them, with
 * {@link dev.workqueue.RetryPolicy}, {@link dev.workqueue.CircuitBreaker} and
 * {@link dev.workqueue.RateLimiter}; operate queues through {@link dev.workqueue.Admin}.
 */
package dev.workqueue;
