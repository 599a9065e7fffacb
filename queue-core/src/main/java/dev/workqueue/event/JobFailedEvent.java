package dev.workqueue.event;

import dev.workqueue.Job;
import dev.workqueue.JobError;
import java.time.Duration;

/**
 * An attempt failed: the handler threw or ran past the job timeout. A {@link JobRetriedEvent}
 * or {@link JobDeadLetteredEvent} follows.
 *
 * @param job the job
 * @param consumer the consumer's name
 * @param error why it failed
 * @param duration how long the attempt ran
 */
public record JobFailedEvent(Job job, String consumer, JobError error, Duration duration) {}
