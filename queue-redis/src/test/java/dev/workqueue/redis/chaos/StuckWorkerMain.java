package dev.workqueue.redis.chaos;

import dev.workqueue.Consumer;
import dev.workqueue.redis.RedisQueueBackend;
import java.time.Duration;

/**
 * A consumer process for crash tests: takes jobs and never finishes them, so the test can kill
 * it with SIGKILL while it holds their leases. Arguments: redis URL, namespace, queue, concurrency,
 * lease in milliseconds.
 */
public final class StuckWorkerMain {
  private StuckWorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    RedisQueueBackend backend = RedisQueueBackend.builder().url(args[0]).namespace(args[1]).build();
    int concurrency = Integer.parseInt(args[3]);
    Consumer consumer = Consumer.builder(backend, job -> Thread.sleep(Long.MAX_VALUE))
        .name("stuck")
        .queue(args[2])
        .concurrency(concurrency)
        .prefetch(0)
        .leaseDuration(Duration.ofMillis(Long.parseLong(args[4])))
        .jobTimeout(Duration.ofHours(1))
        .build();
    consumer.start();
    System.out.println("started");
    Thread.currentThread().join();
  }
}
