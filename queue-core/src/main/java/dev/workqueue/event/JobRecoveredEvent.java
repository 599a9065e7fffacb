package dev.workqueue.event;

import dev.workqueue.Job;

/**
 * A job whose lease expired (its consumer died, hung or lost its connection) was returned to its
 * queue by a consumer's reaper.
 *
 * @param job the recovered job, its attempt counting the lost delivery
 * @param consumer the consumer whose reaper recovered it
 */
public record JobRecoveredEvent(Job job, String consumer) {}
