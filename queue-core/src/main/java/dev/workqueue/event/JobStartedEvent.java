package dev.workqueue.event;

import dev.workqueue.Job;

/**
 * A consumer is about to run the handler for one delivery of a job.
 *
 * @param job the job, {@link Job#attempt()} counting this delivery
 * @param consumer the consumer's name
 */
public record JobStartedEvent(Job job, String consumer) {}
