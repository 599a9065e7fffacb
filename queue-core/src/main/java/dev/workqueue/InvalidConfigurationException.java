package dev.workqueue;

import java.util.List;

/**
 * A builder or configuration was given invalid values. The message and {@link #problems()} list
 * every problem found, each naming the argument, the bad value and what is allowed.
 */
public class InvalidConfigurationException extends QueueException {
  private final List<String> problems;

  public InvalidConfigurationException(String subject, List<String> problems) {
    super("invalid " + subject + ": " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  /** Every problem found, one sentence each. */
  public List<String> problems() {
    return problems;
  }
}
