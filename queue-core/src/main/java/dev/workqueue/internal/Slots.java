package dev.workqueue.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts the jobs a consumer may still take. Unlike a semaphore, the single taker waits for a
 * threshold of free slots and is woken once when it is reached, not on every release, so a
 * busy consumer fetches in batches instead of waking per finished job.
 */
final class Slots {
  private final AtomicInteger free;
  private volatile int threshold = Integer.MAX_VALUE;
  private volatile Thread taker;

  Slots(int capacity) {
    this.free = new AtomicInteger(capacity);
  }

  /**
   * Waits until at least {@code atLeast} slots are free, then takes every free slot up to
   * {@code atMost}. Only one thread may call this.
   *
   * @return the number of slots taken
   */
  int take(int atLeast, int atMost) throws InterruptedException {
    taker = Thread.currentThread();
    while (true) {
      int available = free.get();
      if (available >= atLeast) {
        int taken = Math.min(available, atMost);
        if (free.compareAndSet(available, available - taken)) {
          return taken;
        }
        continue;
      }
      threshold = atLeast;
      if (free.get() < atLeast) {
        LockSupport.park(this);
      }
      threshold = Integer.MAX_VALUE;
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  /** Frees {@code count} slots, waking the taker if that reaches what it waits for. */
  void release(int count) {
    if (count > 0 && free.addAndGet(count) >= threshold) {
      LockSupport.unpark(taker);
    }
  }
}
