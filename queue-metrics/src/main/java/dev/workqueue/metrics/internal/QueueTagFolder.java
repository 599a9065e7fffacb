package dev.workqueue.metrics.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps queue names to a bounded set of metric tag values: kept names stay as they are, every other
 * name is folded into {@code other} or one of a fixed number of hash buckets.
 */
public final class QueueTagFolder {
  private static final String FOLDED = "other";

  private final Set<String> kept;
  private final int firstSeenLimit;
  private final String[] buckets;
  // Set once the first-seen limit is reached, so that later misses skip the admission lock.
  private volatile boolean full;

  private QueueTagFolder(Set<String> kept, boolean admitsFirstSeen, int firstSeenLimit, int bucketCount) {
    this.kept = kept;
    this.firstSeenLimit = firstSeenLimit;
    this.full = !admitsFirstSeen;
    this.buckets = new String[bucketCount];
    for (int i = 0; i < bucketCount; i++) {
      buckets[i] = bucketCount == 1 ? FOLDED : FOLDED + "-" + i;
    }
  }

  /** Keeps exactly {@code allowList}; folds every other name into {@code bucketCount} buckets. */
  public static QueueTagFolder allowList(Set<String> allowList, int bucketCount) {
    return new QueueTagFolder(Set.copyOf(allowList), false, 0, bucketCount);
  }

  /**
   * Keeps the first {@code limit} distinct names it is asked about; folds every later one into
   * {@code bucketCount} buckets.
   */
  public static QueueTagFolder firstSeen(int limit, int bucketCount) {
    return new QueueTagFolder(ConcurrentHashMap.newKeySet(), true, limit, bucketCount);
  }

  /** The tag value for {@code queue}; allocation-free once the name has been seen. */
  public String tagFor(String queue) {
    if (kept.contains(queue)) {
      return queue;
    }
    if (!full && admit(queue)) {
      return queue;
    }
    // String.hashCode is specified by the language, so a name lands in the same bucket in every JVM.
    return buckets[Math.floorMod(queue.hashCode(), buckets.length)];
  }

  private synchronized boolean admit(String queue) {
    if (kept.contains(queue)) {
      return true;
    }
    if (kept.size() < firstSeenLimit) {
      kept.add(queue);
      return true;
    }
    full = true;
    return false;
  }
}
