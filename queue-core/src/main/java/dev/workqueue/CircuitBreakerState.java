package dev.workqueue;

/** States of a {@link CircuitBreaker}, with the numeric codes exported as a metric. */
public enum CircuitBreakerState {
  /** Normal operation: every fetch allowed. */
  CLOSED(0),
  /** Cooldown over: a single probe job is allowed. */
  HALF_OPEN(1),
  /** Failure rate too high: no fetch until the cooldown ends. */
  OPEN(2);

  private final int code;

  CircuitBreakerState(int code) {
    this.code = code;
  }

  /** 0 closed, 1 half-open, 2 open. */
  public int code() {
    return code;
  }
}
