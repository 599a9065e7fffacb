package dev.workqueue.runner.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.workqueue.InvalidConfigurationException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Validation over random environments: every bad value is reported once, no good one ever. */
class ConfigValidationPropertyTest {
  private record Bounded(ConfigKey<Integer> key, int min, int max) {}

  private static final List<Bounded> INTEGER_KEYS = List.of(
      new Bounded(ConfigKeys.REDIS_POOL_SIZE, 1, 1024),
      new Bounded(ConfigKeys.WORKER_CONCURRENCY, 1, 1024),
      new Bounded(ConfigKeys.WORKER_RETRY_MAX_ATTEMPTS, 1, 1000),
      new Bounded(ConfigKeys.PRODUCER_BURST, 1, 1_000_000),
      new Bounded(ConfigKeys.HTTP_PORT, 0, 65_535));

  @Test
  void everyOutOfRangeIntegerIsReportedOnceWithItsVariableAndEveryOtherIsTaken() {
    qt().forAll(lists().of(integers().between(-100, 70_000)).ofSize(INTEGER_KEYS.size()))
        .checkAssert(values -> {
          Map<String, String> env = new HashMap<>(Map.of("WORKQUEUE_REDIS_URL", "redis://127.0.0.1:6379"));
          for (int i = 0; i < INTEGER_KEYS.size(); i++) {
            env.put(INTEGER_KEYS.get(i).key().envName(), Integer.toString(values.get(i)));
          }
          List<String> problems = List.of();
          RunnerConfig config = null;
          try {
            config = ConfigLoader.load(null, env);
          } catch (InvalidConfigurationException e) {
            problems = e.problems();
          }

          int invalid = 0;
          for (int i = 0; i < INTEGER_KEYS.size(); i++) {
            Bounded bounded = INTEGER_KEYS.get(i);
            int value = values.get(i);
            String reported = bounded.key().path() + " (set by " + bounded.key().envName() + ") must be "
                + bounded.key().rule() + ", but was \"" + value + "\"";
            if (value < bounded.min() || value > bounded.max()) {
              invalid++;
              assertThat(problems).as(env.toString()).containsOnlyOnce(reported);
            } else {
              assertThat(problems).as(env.toString()).doesNotContain(reported);
              if (config != null) {
                assertThat(config.get(bounded.key())).isEqualTo(value);
              }
            }
          }
          assertThat(problems).as(env.toString()).hasSize(invalid);
        });
  }
}
