package dev.workqueue.event;

import dev.workqueue.Job;
import dev.workqueue.JobError;
import java.time.Duration;

/**
 * A failed job was scheduled for another attempt.
 *
 * @param job the job as it failed
 * @param backoff the delay before it becomes runnable again
 * @param error the failure that caused the retry
 */
public record JobRetriedEvent(Job job, Duration backoff, JobError error) {}
