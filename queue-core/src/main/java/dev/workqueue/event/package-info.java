/**
 * Events published to {@link dev.workqueue.spi.QueueObserver}s: one immutable record per job
 * transition and per consumer or circuit-breaker state change.
 */
package dev.workqueue.event;
