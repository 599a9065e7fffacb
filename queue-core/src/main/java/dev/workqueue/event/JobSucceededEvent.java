package dev.workqueue.event;

import dev.workqueue.Job;
import java.time.Duration;

/**
 * The handler returned normally.
 *
 * @param job the job
 * @param consumer the consumer's name
 * @param duration how long the handler ran
 */
public record JobSucceededEvent(Job job, String consumer, Duration duration) {}
