package dev.workqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.workqueue.PriorityMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PrioritySelectorTest {

  private static List<String> lanes(int count) {
    List<String> lanes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      lanes.add("p" + i);
    }
    return lanes;
  }

  @Test
  void strictModeAlwaysServesLanesInTheConfiguredOrder() {
    qt().forAll(integers().between(1, 10), integers().all()).checkAssert((count, seed) -> {
      List<String> lanes = lanes(count);
      SplittableRandom random = new SplittableRandom(seed);
      assertThat(new PrioritySelector(lanes, PriorityMode.strict()).order(random::nextDouble))
          .containsExactlyElementsOf(lanes);
    });
  }

  @Test
  void weightedModeAlwaysYieldsAPermutationOfTheLanes() {
    qt().forAll(lists().of(integers().between(1, 100)).ofSizeBetween(1, 8), integers().all())
        .checkAssert((weights, seed) -> {
          List<String> lanes = lanes(weights.size());
          Map<String, Integer> weightByLane = new LinkedHashMap<>();
          for (int i = 0; i < lanes.size(); i++) {
            weightByLane.put(lanes.get(i), weights.get(i));
          }
          SplittableRandom random = new SplittableRandom(seed);
          List<String> order = new PrioritySelector(lanes, PriorityMode.weighted(weightByLane))
              .order(random::nextDouble);
          assertThat(order).containsExactlyInAnyOrderElementsOf(lanes);
        });
  }

  @Test
  void weightedModeServesEachLaneFirstInProportionToItsWeight() {
    List<String> lanes = List.of("high", "mid", "low");
    PrioritySelector selector = new PrioritySelector(lanes,
        PriorityMode.weighted(Map.of("high", 6, "mid", 3, "low", 1)));
    SplittableRandom random = new SplittableRandom(42);
    Map<String, Integer> first = new HashMap<>();
    int draws = 100_000;
    for (int i = 0; i < draws; i++) {
      first.merge(selector.order(random::nextDouble).get(0), 1, Integer::sum);
    }
    assertThat(first.get("high") / (double) draws).isCloseTo(0.6, org.assertj.core.data.Offset.offset(0.01));
    assertThat(first.get("mid") / (double) draws).isCloseTo(0.3, org.assertj.core.data.Offset.offset(0.01));
    assertThat(first.get("low") / (double) draws).isCloseTo(0.1, org.assertj.core.data.Offset.offset(0.01));
  }
}
