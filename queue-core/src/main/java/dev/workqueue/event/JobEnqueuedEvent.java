package dev.workqueue.event;

import dev.workqueue.Job;

/**
 * A producer stored a job.
 *
 * @param job the stored job
 * @param created false when an idempotency key matched an earlier job and nothing was stored
 */
public record JobEnqueuedEvent(Job job, boolean created) {}
