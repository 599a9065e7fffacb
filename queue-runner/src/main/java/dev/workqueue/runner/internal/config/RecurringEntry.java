package dev.workqueue.runner.internal.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of {@code recurring.entries}: when it runs, and the job it enqueues. A field left
 * out is null and takes the runner's setting when the job is built.
 *
 * @param schedule the cron expression, trimmed
 * @param queue the queue the job goes to, or null for {@code queue.name}
 * @param priority the job's priority, or null for {@code producer.default_priority}
 * @param payload the job's payload as text, or null for the entry's name
 */
public record RecurringEntry(String schedule, String queue, String priority, String payload) {

  /** An entry written as its cron expression alone. */
  public static RecurringEntry of(String schedule) {
    return new RecurringEntry(schedule, null, null, null);
  }

  /** As it was written: the expression alone, or a mapping of the fields that were given. */
  Object printable() {
    if (queue == null && priority == null && payload == null) {
      return schedule;
    }
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("schedule", schedule);
    putIfSet(fields, "queue", queue);
    putIfSet(fields, "priority", priority);
    putIfSet(fields, "payload", payload);
    return fields;
  }

  private static void putIfSet(Map<String, String> fields, String name, String value) {
    if (value != null) {
      fields.put(name, value);
    }
  }
}
