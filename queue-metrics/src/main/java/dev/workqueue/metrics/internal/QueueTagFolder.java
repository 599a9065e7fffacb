package dev.workqueue.metrics.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * Maps queue names to a bounded set of metric tag values: kept names stay as they are, every other
 * name is folded into {@code other} or one of a fixed number of hash buckets. A kept name never
 * equals a fold tag value, so a kept queue's series never holds folded queues' figures.
 */
public final class QueueTagFolder {
  private static final String FOLDED = "other";

  private final Set<String> kept;
  /** Most names kept, listed and first-seen together. */
  private final int keptLimit;
  private final String[] buckets;
  private final Set<String> foldTags;
  // Set once the first-seen limit is reached, so that later misses skip the admission lock.
  private volatile boolean full;

  private QueueTagFolder(Set<String> kept, boolean admitsFirstSeen, int keptLimit, int bucketCount) {
    List<String> tags = foldedTagValues(bucketCount);
    this.buckets = tags.toArray(String[]::new);
    this.foldTags = Set.copyOf(tags);
    this.kept = kept;
    this.keptLimit = keptLimit;
    this.full = !admitsFirstSeen;
  }

  /**
   * Keeps {@code allowList} and the first {@code othersLimit} other names it is asked about, except
   * the {@link #foldedTagValues(int)}; folds every other name into {@code bucketCount} buckets.
   *
   * @throws IllegalArgumentException if {@code allowList} holds one of the {@link
   *     #foldedTagValues(int)}
   */
  public static QueueTagFolder allowList(Set<String> allowList, int othersLimit, int bucketCount) {
    Set<String> kept = ConcurrentHashMap.newKeySet();
    kept.addAll(allowList);
    int keptLimit = (int) Math.min(Integer.MAX_VALUE, (long) kept.size() + othersLimit);
    QueueTagFolder folder = new QueueTagFolder(kept, othersLimit > 0, keptLimit, bucketCount);
    if (kept.stream().anyMatch(folder.foldTags::contains)) {
      throw new IllegalArgumentException("an allow-list must not hold a tag value of folded queues");
    }
    return folder;
  }

  /**
   * Keeps the first {@code limit} distinct names it is asked about, except the {@link
   * #foldedTagValues(int)}; folds every other one into {@code bucketCount} buckets.
   */
  public static QueueTagFolder firstSeen(int limit, int bucketCount) {
    return new QueueTagFolder(ConcurrentHashMap.newKeySet(), true, limit, bucketCount);
  }

  /** The tag values folded names share: {@code other}, or {@code other-0} … {@code other-<n-1>}. */
  public static List<String> foldedTagValues(int bucketCount) {
    return bucketCount == 1
        ? List.of(FOLDED)
        : IntStream.range(0, bucketCount).mapToObj(i -> FOLDED + "-" + i).toList();
  }

  /** The tag value for {@code queue}; allocation-free once the name has been seen. */
  public String tagFor(String queue) {
    if (kept.contains(queue)) {
      return queue;
    }
    // Kept under a fold tag value, the queue's series would also count the folded queues.
    if (!full && !foldTags.contains(queue) && admit(queue)) {
      return queue;
    }
    // String.hashCode is specified by the language, so a name lands in the same bucket in every JVM.
    return buckets[Math.floorMod(queue.hashCode(), buckets.length)];
  }

  private synchronized boolean admit(String queue) {
    if (kept.contains(queue)) {
      return true;
    }
    if (kept.size() < keptLimit) {
      kept.add(queue);
      return true;
    }
    full = true;
    return false;
  }
}
