package dev.workqueue.event;

import dev.workqueue.CircuitBreakerState;

/**
 * A consumer's circuit breaker changed state.
 *
 * @param consumer the consumer's name
 * @param previous the state it left
 * @param current the state it entered
 */
public record CircuitBreakerStateChangedEvent(String consumer, CircuitBreakerState previous,
    CircuitBreakerState current) {}
