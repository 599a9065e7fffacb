package dev.workqueue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a consumer orders its priority lanes for each fetch.
 *
 * <p>{@link #strict()}: always in the configured order, so a waiting higher-priority job is
 * always taken before a lower one; lower lanes can starve under sustained high-priority load.
 * {@link #weighted(Map)}: each fetch draws the lane to serve first at random in proportion to
 * its weight, then falls through the remaining lanes by weight, so every lane gets a share of
 * fetches while work is waiting in it.
 */
public sealed interface PriorityMode {

  /** Strict order: the first lane listed always goes first. */
  static PriorityMode strict() {
    return Strict.INSTANCE;
  }

  /**
   * Weighted order. Every lane the consumer serves needs a positive weight.
   *
   * @param weights lane name to weight, for example {@code high=6, low=1}
   */
  static PriorityMode weighted(Map<String, Integer> weights) {
    return new Weighted(weights);
  }

  /** Strict priority order. */
  enum Strict implements PriorityMode {
    INSTANCE
  }

  /**
   * Weighted priority order.
   *
   * @param weights lane name to positive weight
   */
  record Weighted(Map<String, Integer> weights) implements PriorityMode {
    public Weighted {
      Objects.requireNonNull(weights, "weights");
      weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    }
  }
}
