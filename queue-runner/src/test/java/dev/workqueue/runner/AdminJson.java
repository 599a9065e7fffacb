package dev.workqueue.runner;

import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/** Reads fields of {@code admin stats --json} output. */
final class AdminJson {
  private AdminJson() {}

  /** A numeric field of one queue's stats; 0 when the queue is not listed yet. */
  static long queueField(String statsJson, String queue, String field) {
    Map<?, ?> document = new Yaml().load(statsJson);
    for (Object entry : (List<?>) document.get("queues")) {
      Map<?, ?> stats = (Map<?, ?>) entry;
      if (queue.equals(stats.get("queue"))) {
        return ((Number) stats.get(field)).longValue();
      }
    }
    return 0;
  }
}
