package dev.workqueue;

import java.time.Instant;
import java.util.Objects;

/**
 * Why an attempt failed: kept with retried and dead-lettered jobs.
 *
 * @param type the exception class name, or a short reason code such as {@code timeout}
 * @param message the exception message, possibly empty, truncated to {@link #MAX_MESSAGE_LENGTH}
 * @param at when the failure happened
 */
public record JobError(String type, String message, Instant at) {
  /** Longest message kept; longer ones are cut so an error cannot bloat the backend. */
  public static final int MAX_MESSAGE_LENGTH = 2_000;

  public JobError {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(at, "at");
    message = message == null ? "" : message;
    if (message.length() > MAX_MESSAGE_LENGTH) {
      message = message.substring(0, MAX_MESSAGE_LENGTH);
    }
  }

  /** The error describing {@code failure}, at {@code at}. */
  public static JobError of(Throwable failure, Instant at) {
    return new JobError(failure.getClass().getName(), failure.getMessage(), at);
  }
}
