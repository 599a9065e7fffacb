package dev.workqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The in-process limiter against real time and real threads; conditions with tolerance only. The
 * 10 s test uses a burst of 20 (100 ms at 200/s) so that producer threads starved of CPU by a busy
 * build machine for less than that lose no capacity.
 */
class LocalRateLimiterRateTest {

  @Test
  void burstyDemandIsHeldWithinTenPercentOfTheCapOverTenSeconds() throws InterruptedException {
    RateLimiter limiter = RateLimiter.local(RateLimiterConfig.builder().permitsPerSecond(200).burst(20).build());
    Duration window = Duration.ofSeconds(10);
    AtomicLong admitted = new AtomicLong();
    long deadline = System.nanoTime() + window.toNanos();

    runProducers(4, deadline, () -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int permits = random.nextInt(1, 9);
      limiter.acquire(permits);
      if (System.nanoTime() - deadline < 0) {
        admitted.addAndGet(permits);
      }
      if (random.nextInt(10) == 0) {
        LockSupport.parkNanos(random.nextLong(Duration.ofMillis(50).toNanos()));
      }
    });

    double rate = admitted.get() / (double) window.toSeconds();
    assertThat(rate).as("permits per second over %s", window).isBetween(180.0, 220.0);
  }

  @Test
  void noHundredMillisecondSliceAdmitsMoreThanBurstPlusOneSlicesWorth() throws InterruptedException {
    int burst = 5;
    RateLimiter limiter = RateLimiter.local(RateLimiterConfig.builder().permitsPerSecond(100).burst(burst).build());
    long start = System.nanoTime();
    long deadline = start + Duration.ofMillis(2_500).toNanos();
    ConcurrentLinkedQueue<Long> admittedAt = new ConcurrentLinkedQueue<>();

    // Two producers: a permit is timed when its caller gets to record it, and a caller descheduled
    // in between shifts its permit into a later slice; fewer callers, fewer such shifts.
    runProducers(2, deadline, () -> {
      limiter.acquire();
      admittedAt.add(System.nanoTime());
    });

    long slice = Duration.ofMillis(100).toNanos();
    int[] perSlice = new int[(int) ((deadline - start) / slice) + 20];
    admittedAt.forEach(at -> perSlice[(int) ((at - start) / slice)]++);
    assertThat(admittedAt).hasSizeGreaterThan(200);
    assertThat(Arrays.stream(perSlice).max().orElseThrow()).as("most permits in one 100 ms slice").isLessThanOrEqualTo(burst + 10 + 1);
  }

  interface Demand {
    void next() throws InterruptedException;
  }

  /** Runs {@code demand} on {@code threads} threads until {@code deadline}, then joins them. */
  static void runProducers(int threads, long deadline, Demand demand) throws InterruptedException {
    List<Thread> producers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread producer = new Thread(() -> {
        try {
          while (System.nanoTime() - deadline < 0) {
            demand.next();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "producer-" + i);
      producer.start();
      producers.add(producer);
    }
    for (Thread producer : producers) {
      producer.join();
    }
  }
}
