package dev.workqueue.examples;

import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** Enqueues many jobs the fast way the benchmarks share: {@code enqueueAll} in fixed-size batches. */
final class Batches {
  /** Jobs per {@code enqueueAll} call. */
  static final int SIZE = 1_000;

  private Batches() {}

  /** Enqueues {@code jobs} jobs, the {@code i}-th made by {@code job.apply(i)}, the last batch short. */
  static void enqueue(Producer producer, int jobs, IntFunction<NewJob> job) {
    List<NewJob> batch = new ArrayList<>(SIZE);
    for (int i = 0; i < jobs; i++) {
      batch.add(job.apply(i));
      if (batch.size() == SIZE || i == jobs - 1) {
        producer.enqueueAll(batch);
        batch.clear();
      }
    }
  }
}
