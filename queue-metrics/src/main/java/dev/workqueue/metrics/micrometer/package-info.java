/**
 * Micrometer metrics for workqueue: {@link dev.workqueue.metrics.micrometer.MicrometerQueueObserver}
 * turns job events into counters and a duration histogram, reads consumer gauges on demand, and
 * keeps queue-length gauges up to date with a {@link
 * dev.workqueue.metrics.micrometer.QueueLengthUpdater}. Queue-name tags are bounded by an
 * allow-list or a limit, the rest folded.
 */
package dev.workqueue.metrics.micrometer;
