package dev.workqueue.metrics.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class QueueTagFolderTest {
  private static final Gen<List<String>> NAMES =
      lists().of(strings().basicLatinAlphabet().ofLengthBetween(1, 12)).ofSizeBetween(0, 300);

  @Test
  void anAllowListFolderKeepsListedNamesAndBoundsTheRest() {
    qt().withExamples(200).forAll(NAMES, integers().between(0, 10), integers().between(1, 20))
        .checkAssert((names, listed, buckets) -> {
          Set<String> allowList = new HashSet<>(names.subList(0, Math.min(listed, names.size())));
          QueueTagFolder folder = QueueTagFolder.allowList(allowList, buckets);
          Set<String> tags = new HashSet<>();
          for (String name : names) {
            String tag = folder.tagFor(name);
            tags.add(tag);
            assertThat(folder.tagFor(name)).isEqualTo(tag);
            if (allowList.contains(name)) {
              assertThat(tag).isEqualTo(name);
            }
          }
          assertThat(tags.size()).isLessThanOrEqualTo(allowList.size() + buckets);
        });
  }

  @Test
  void aFirstSeenFolderKeepsAtMostItsLimitAndNeverChangesATagOnceGiven() {
    qt().withExamples(200).forAll(NAMES, integers().between(0, 50), integers().between(1, 20))
        .checkAssert((names, limit, buckets) -> {
          QueueTagFolder folder = QueueTagFolder.firstSeen(limit, buckets);
          List<String> first = names.stream().map(folder::tagFor).toList();
          List<String> again = names.stream().map(folder::tagFor).toList();
          assertThat(again).isEqualTo(first);
          assertThat(new HashSet<>(first).size()).isLessThanOrEqualTo(limit + buckets);
        });
  }
}
