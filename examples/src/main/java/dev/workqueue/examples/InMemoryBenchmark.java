package dev.workqueue.examples;

import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.memory.InMemoryQueueBackend;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Measures the engine without I/O: enqueues jobs with {@code enqueueAll} into the in-memory
 * backend, then processes them with a no-op handler, and prints jobs per second.
 *
 * <p>Run: {@code ./mvnw -q -pl examples exec:java -Dexec.mainClass=dev.workqueue.examples.InMemoryBenchmark
 * [-Dexec.args="JOBS CONCURRENCY ROUNDS"]} (defaults 100000 8 3).
 */
public final class InMemoryBenchmark {
  private InMemoryBenchmark() {}

  /** Runs the benchmark; arguments: jobs, concurrency and rounds, each optional. */
  public static void main(String[] args) throws InterruptedException {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    System.out.printf("in-memory benchmark: %,d no-op jobs, concurrency %d, %d rounds (first is warm-up)%n",
        jobs, concurrency, rounds);
    for (int round = 1; round <= rounds; round++) {
      Result result = run(jobs, concurrency);
      System.out.printf("round %d: enqueueAll %,.0f jobs/s, processing %,.0f jobs/s%n", round,
          result.enqueuePerSecond, result.processPerSecond);
    }
  }

  private record Result(double enqueuePerSecond, double processPerSecond) {}

  private static Result run(int jobs, int concurrency) throws InterruptedException {
    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create();
        Producer producer = Producer.builder(backend).defaultQueue("bench").build()) {
      long enqueueStart = System.nanoTime();
      Batches.enqueue(producer, jobs, i -> NewJob.of(new byte[] {(byte) i}));
      long enqueueNanos = System.nanoTime() - enqueueStart;

      CountDownLatch done = new CountDownLatch(jobs);
      Consumer consumer = Consumer.builder(backend, job -> done.countDown())
          .queue("bench").concurrency(concurrency).build();
      long processStart = System.nanoTime();
      consumer.start();
      if (!done.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("jobs did not finish: " + done.getCount() + " left");
      }
      long processNanos = System.nanoTime() - processStart;
      consumer.close();
      return new Result(jobs * 1e9 / enqueueNanos, jobs * 1e9 / processNanos);
    }
  }
}
