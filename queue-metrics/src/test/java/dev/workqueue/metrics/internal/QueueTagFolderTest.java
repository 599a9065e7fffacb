package dev.workqueue.metrics.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
  // One name in three looks like a fold tag value: "other" or "other-<i>".
  private static final Gen<String> NAME = strings().basicLatinAlphabet().ofLengthBetween(1, 12)
      .mix(integers().between(-1, 24).map(i -> i < 0 ? "other" : "other-" + i), 33);
  private static final Gen<List<String>> NAMES = lists().of(NAME).ofSizeBetween(0, 300);

  @Test
  void anAllowListFolderKeepsListedNamesAndBoundsTheRest() {
    qt().withExamples(200).forAll(NAMES, integers().between(0, 10), integers().between(1, 20))
        .checkAssert((names, listed, buckets) -> {
          List<String> folded = QueueTagFolder.foldedTagValues(buckets);
          Set<String> allowList = new HashSet<>(names.subList(0, Math.min(listed, names.size())));
          allowList.removeAll(folded);
          QueueTagFolder folder = QueueTagFolder.allowList(allowList, 0, buckets);
          Set<String> tags = new HashSet<>();
          for (String name : names) {
            String tag = folder.tagFor(name);
            tags.add(tag);
            assertThat(folder.tagFor(name)).isEqualTo(tag);
            assertThat(tag).isEqualTo(allowList.contains(name) ? name : hashBucket(name, folded));
          }
          assertThat(tags.size()).isLessThanOrEqualTo(allowList.size() + buckets);
        });
  }

  /** Listed names never take a first-seen place, however many other names come before them. */
  @Test
  void anAllowListFolderWithALimitKeepsListedNamesAndTheFirstOthersUpToTheLimit() {
    qt().withExamples(200).forAll(NAMES, integers().between(0, 10), integers().between(0, 50),
        integers().between(1, 20)).checkAssert((names, listed, limit, buckets) -> {
          List<String> folded = QueueTagFolder.foldedTagValues(buckets);
          Set<String> allowList = new HashSet<>(names.subList(names.size() - Math.min(listed, names.size()),
              names.size()));
          allowList.removeAll(folded);
          QueueTagFolder folder = QueueTagFolder.allowList(allowList, limit, buckets);
          Set<String> firstSeen = new HashSet<>();
          for (String name : names) {
            String tag = folder.tagFor(name);
            if (allowList.contains(name)) {
              assertThat(tag).isEqualTo(name);
            } else if (!folded.contains(name) && (firstSeen.contains(name) || firstSeen.size() < limit)) {
              assertThat(tag).isEqualTo(name);
              firstSeen.add(name);
            } else {
              assertThat(tag).isEqualTo(hashBucket(name, folded));
            }
          }
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

  /** A name kept under a fold tag value would share its series with the folded names. */
  @Test
  void aFirstSeenFolderFoldsNamesEqualToAFoldTagValueAndKeepsOthersInTheirPlace() {
    qt().withExamples(200).forAll(NAMES, integers().between(0, 50), integers().between(1, 20))
        .checkAssert((names, limit, buckets) -> {
          List<String> folded = QueueTagFolder.foldedTagValues(buckets);
          QueueTagFolder folder = QueueTagFolder.firstSeen(limit, buckets);
          Set<String> kept = new HashSet<>();
          for (String name : names) {
            String tag = folder.tagFor(name);
            if (folded.contains(name)) {
              assertThat(tag).isEqualTo(hashBucket(name, folded));
            } else if (kept.contains(name) || kept.size() < limit) {
              assertThat(tag).isEqualTo(name);
              kept.add(name);
            } else {
              assertThat(tag).isEqualTo(hashBucket(name, folded));
            }
          }
        });
  }

  @Test
  void foldTagValuesAreOtherOrOneNumberedBucketEachAndNoAllowListMayHoldThem() {
    assertThat(QueueTagFolder.foldedTagValues(1)).containsExactly("other");
    assertThat(QueueTagFolder.foldedTagValues(3)).containsExactly("other-0", "other-1", "other-2");
    assertThatThrownBy(() -> QueueTagFolder.allowList(Set.of("emails", "other-2"), 0, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("an allow-list must not hold a tag value of folded queues");
  }

  private static String hashBucket(String name, List<String> folded) {
    return folded.get(Math.floorMod(name.hashCode(), folded.size()));
  }
}
