package dev.workqueue.metrics.micrometer;

import dev.workqueue.CircuitBreakerState;
import dev.workqueue.Consumer;
import dev.workqueue.ConsumerState;

/** A consumer whose gauge readings a test sets directly; it runs nothing. */
final class StubConsumer implements Consumer {
  private final String name;
  private final String queue;
  volatile int activeWorkers;
  volatile CircuitBreakerState breaker = CircuitBreakerState.CLOSED;
  volatile ConsumerState state = ConsumerState.RUNNING;

  StubConsumer(String name, String queue) {
    this.name = name;
    this.queue = queue;
  }

  @Override
  public void start() {}

  @Override
  public void close() {
    state = ConsumerState.STOPPED;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String id() {
    return name + "-stub";
  }

  @Override
  public String queue() {
    return queue;
  }

  @Override
  public ConsumerState state() {
    return state;
  }

  @Override
  public int activeWorkers() {
    return activeWorkers;
  }

  @Override
  public CircuitBreakerState circuitBreakerState() {
    return breaker;
  }
}
