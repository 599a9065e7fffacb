package dev.workqueue.internal;

import dev.workqueue.PriorityMode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

/** Orders a consumer's priority lanes for one fetch, per its {@link PriorityMode}. */
public final class PrioritySelector {
  private final List<String> priorities;
  private final int[] weights;
  private final boolean strict;

  public PrioritySelector(List<String> priorities, PriorityMode mode) {
    this.priorities = List.copyOf(priorities);
    this.strict = mode instanceof PriorityMode.Strict;
    this.weights = new int[priorities.size()];
    if (mode instanceof PriorityMode.Weighted weighted) {
      for (int i = 0; i < priorities.size(); i++) {
        weights[i] = weighted.weights().get(priorities.get(i));
      }
    }
  }

  /**
   * The lanes in the order to serve them. Strict: the configured order. Weighted: a weighted
   * random permutation, each next lane drawn in proportion to its weight among those left.
   *
   * @param random uniform numbers in [0, 1)
   */
  public List<String> order(DoubleSupplier random) {
    if (strict || priorities.size() == 1) {
      return priorities;
    }
    List<Integer> left = new ArrayList<>(priorities.size());
    long remainingWeight = 0;
    for (int i = 0; i < priorities.size(); i++) {
      left.add(i);
      remainingWeight += weights[i];
    }
    List<String> order = new ArrayList<>(priorities.size());
    while (!left.isEmpty()) {
      double point = random.getAsDouble() * remainingWeight;
      int chosen = left.size() - 1;
      for (int k = 0; k < left.size(); k++) {
        point -= weights[left.get(k)];
        if (point < 0) {
          chosen = k;
          break;
        }
      }
      int lane = left.remove(chosen);
      remainingWeight -= weights[lane];
      order.add(priorities.get(lane));
    }
    return order;
  }
}
