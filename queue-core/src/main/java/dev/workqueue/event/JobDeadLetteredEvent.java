package dev.workqueue.event;

import dev.workqueue.JobError;

/**
 * A job moved to the dead-letter queue: attempts exhausted, or its data could not be decoded.
 *
 * @param jobId the job's id
 * @param queue its queue
 * @param attempt deliveries made, 0 when the data could not be decoded
 * @param error the last error
 */
public record JobDeadLetteredEvent(String jobId, String queue, int attempt, JobError error) {}
