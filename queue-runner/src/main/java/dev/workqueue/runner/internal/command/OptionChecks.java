package dev.workqueue.runner.internal.command;

import dev.workqueue.internal.Problems;
import dev.workqueue.runner.internal.config.Durations;
import java.time.Duration;
import java.util.List;

/**
 * Validates command-line options with the library's {@link Problems}, so that their messages read
 * like every other one, and reports them all as one usage error.
 */
final class OptionChecks {
  private OptionChecks() {}

  /** {@code text} read as a duration, or null after recording a problem for {@code option}. */
  static Duration duration(Problems problems, String option, String text) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      problems.check(false, option, Durations.FORMAT, text);
      return null;
    }
  }

  /** @throws UsageException naming every recorded problem, if there is any */
  static void throwIfAny(Problems problems) {
    List<String> found = problems.list();
    if (!found.isEmpty()) {
      throw new UsageException(String.join("; ", found));
    }
  }
}
