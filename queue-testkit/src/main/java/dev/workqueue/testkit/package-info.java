/**
 * Reusable tests for backend implementers: extend {@link dev.workqueue.testkit.QueueBackendContract}
 * to check a {@link dev.workqueue.spi.QueueBackend} against the behaviour producers and consumers
 * rely on.
 */
package dev.workqueue.testkit;
