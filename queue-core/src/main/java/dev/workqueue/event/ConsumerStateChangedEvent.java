package dev.workqueue.event;

import dev.workqueue.ConsumerState;

/**
 * A consumer moved between lifecycle states.
 *
 * @param consumer the consumer's name
 * @param queue the queue it serves
 * @param previous the state it left
 * @param current the state it entered
 */
public record ConsumerStateChangedEvent(String consumer, String queue, ConsumerState previous,
    ConsumerState current) {}
