package dev.workqueue.redis.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.event.JobRecoveredEvent;
import dev.workqueue.redis.RedisQueueBackend;
import dev.workqueue.spi.QueueObserver;
import dev.workqueue.testkit.redis.RedisServerExtension;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A consumer in a child JVM is killed with SIGKILL while it holds 100 leased jobs; a second
 * consumer must complete every one of them once the leases expire.
 */
class ConsumerCrashIT {
  private static final Duration PATIENCE = Duration.ofMinutes(2);
  @RegisterExtension
  static final RedisServerExtension redis = new RedisServerExtension();

  @Test
  void jobsLeasedByAKilledConsumerAreAllCompletedByAnother() throws Exception {
    String namespace = "crash";
    String queue = "crash-jobs";
    try (RedisQueueBackend backend = RedisQueueBackend.builder().url(redis.url()).namespace(namespace).build();
        Producer producer = Producer.builder(backend).defaultQueue(queue).build()) {
      List<NewJob> jobs = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        jobs.add(NewJob.of("job-" + i));
      }
      Set<String> enqueued = new HashSet<>();
      producer.enqueueAll(jobs).forEach(result -> enqueued.add(result.jobId()));

      Process child = startStuckWorker(namespace, queue);
      try {
        await().atMost(PATIENCE).until(() -> backend.stats(queue).inFlight() == 100);
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);
      } finally {
        child.destroyForcibly();
      }

      Map<String, AtomicInteger> completed = new ConcurrentHashMap<>();
      AtomicInteger recovered = new AtomicInteger();
      try (Consumer rescuer = Consumer.builder(backend,
              job -> completed.computeIfAbsent(job.id(), id -> new AtomicInteger()).incrementAndGet())
          .name("rescuer").queue(queue).concurrency(8)
          .recoveryInterval(Duration.ofMillis(200)).fetchWait(Duration.ofMillis(500))
          .observer(new QueueObserver() {
            @Override
            public void onRecovered(JobRecoveredEvent event) {
              recovered.incrementAndGet();
            }
          })
          .build()) {
        rescuer.start();
        await().atMost(PATIENCE).until(() -> completed.size() == 100 && backend.stats(queue).pending() == 0);
      }

      assertThat(completed.keySet()).isEqualTo(enqueued);
      assertThat(completed.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
      assertThat(recovered.get()).isEqualTo(100);
      assertThat(backend.stats(queue).dead()).isZero();
      System.out.printf("crash ledger: enqueued=%d leased-by-killed=100 recovered=%d completed=%d lost=0%n",
          enqueued.size(), recovered.get(), completed.size());
    }
  }

  private static Process startStuckWorker(String namespace, String queue) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        StuckWorkerMain.class.getName(), redis.url(), namespace, queue, "100", "2000");
    builder.redirectErrorStream(true);
    builder.redirectOutput(File.createTempFile("stuck-worker", ".log"));
    return builder.start();
  }
}
