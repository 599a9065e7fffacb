package dev.workqueue.examples;

import dev.workqueue.Admin;
import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueStats;
import dev.workqueue.RetryPolicy;
import dev.workqueue.memory.InMemoryQueueBackend;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The smallest complete host: a producer and a consumer on the in-memory backend, with two
 * priorities, a flaky handler that is retried, one delayed job and a job that ends in the
 * dead-letter queue. Prints what happened and the final queue stats.
 *
 * <p>Run: {@code ./mvnw -q -pl examples exec:java -Dexec.mainClass=dev.workqueue.examples.QuickstartExample}
 */
public final class QuickstartExample {
  private QuickstartExample() {}

  /** Runs the example; takes no arguments. */
  public static void main(String[] args) throws InterruptedException {
    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create();
        Producer producer = Producer.builder(backend).defaultQueue("demo").defaultPriority("low").build()) {
      int jobs = 20;
      CountDownLatch finished = new CountDownLatch(jobs + 1);
      Consumer consumer = Consumer.builder(backend, job -> {
            String text = job.payloadAsString();
            if (text.equals("poison")) {
              finished.countDown();
              throw new IllegalArgumentException("cannot process " + text);
            }
            if (ThreadLocalRandom.current().nextInt(4) == 0 && job.attempt() == 1) {
              throw new IllegalStateException("flaky dependency, will be retried");
            }
            System.out.printf("processed %-10s priority=%-4s attempt=%d%n", text, job.priority(),
                job.attempt());
            finished.countDown();
          })
          .queue("demo")
          .priorities("high", "low")
          .concurrency(4)
          .retryPolicy(RetryPolicy.builder().maxAttempts(3).initialBackoff(Duration.ofMillis(50)).build())
          .build();

      for (int i = 0; i < jobs - 1; i++) {
        producer.enqueue(NewJob.builder("job-" + i).priority(i % 5 == 0 ? "high" : "low").build());
      }
      producer.enqueue(NewJob.builder("delayed").delay(Duration.ofMillis(500)).build());
      producer.enqueue(NewJob.builder("poison").maxAttempts(1).build());
      consumer.start();

      if (!finished.await(30, TimeUnit.SECONDS)) {
        System.out.println("not every job finished in time");
      }
      consumer.close();

      Admin admin = Admin.of(backend);
      QueueStats stats = admin.stats("demo");
      System.out.printf("stats: waiting=%d in-flight=%d delayed=%d dead=%d completed=%d%n",
          stats.totalWaiting(), stats.inFlight(), stats.delayed(), stats.dead(), stats.completed());
      admin.peekDead("demo", 10).forEach(dead -> System.out.printf(
          "dead letter %s: %s: %s%n", dead.jobId(), dead.error().type(), dead.error().message()));
    }
  }
}
