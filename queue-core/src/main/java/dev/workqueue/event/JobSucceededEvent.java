package dev.workqueue.event;

import dev.workqueue.Job;
import java.time.Duration;

/**
 * The handler returned normally.
 *
 * <p>The event is published on the consumer's settler thread, not on the worker that ran the job,
 * so reading {@link #job()} there means fetching it from another core's cache. {@link #queue()}
 * gives what observers that key their figures by queue need without that read.
 *
 * @param job the job
 * @param consumer the consumer's name
 * @param queue the queue the job came from: the same as {@code job().queue()}
 * @param duration how long the handler ran
 */
public record JobSucceededEvent(Job job, String consumer, String queue, Duration duration) {}
