package dev.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link dev.workqueue.RateLimiter} must show against real time and real
 * threads, as one suite each implementation's test class extends. Timing checks are conditions
 * with tolerance. The 10 s test uses a burst of 20 (100 ms at 200/s) so that producer threads a
 * busy machine starves of CPU for less than that lose no capacity.
 */
public abstract class RateLimiterContract {

  /**
   * {@code count} limiters sharing one cap under {@code config}: the same instance for an
   * in-process limiter, or instances on separate connections for a distributed one. Each call
   * gets a fresh cap.
   */
  protected abstract List<RateLimiter> limitersSharingOneCap(RateLimiterConfig config, int count);

  /** A name unique to one test, for implementations that key their state by name. */
  protected static String uniqueName() {
    return "contract-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void burstyDemandOfFourProducersIsHeldWithinTenPercentOfTheCapOverTenSeconds() throws InterruptedException {
    List<RateLimiter> shared = limitersSharingOneCap(
        RateLimiterConfig.builder().permitsPerSecond(200).burst(20).build(), 2);
    Duration window = Duration.ofSeconds(10);
    AtomicLong admitted = new AtomicLong();
    long deadline = System.nanoTime() + window.toNanos();

    runProducers(List.of(shared.get(0), shared.get(0), shared.get(1), shared.get(1)), deadline, limiter -> {
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
    List<RateLimiter> shared = limitersSharingOneCap(
        RateLimiterConfig.builder().permitsPerSecond(100).burst(burst).build(), 2);
    long start = System.nanoTime();
    long deadline = start + Duration.ofMillis(2_500).toNanos();
    ConcurrentLinkedQueue<Long> admittedAt = new ConcurrentLinkedQueue<>();

    // Two producers: a permit is timed when its caller gets to record it, and a caller descheduled
    // in between shifts its permit into a later slice; fewer callers, fewer such shifts.
    runProducers(shared, deadline, limiter -> {
      limiter.acquire();
      admittedAt.add(System.nanoTime());
    });

    long slice = Duration.ofMillis(100).toNanos();
    int[] perSlice = new int[(int) ((deadline - start) / slice) + 20];
    admittedAt.forEach(at -> perSlice[(int) ((at - start) / slice)]++);
    assertThat(admittedAt).hasSizeGreaterThan(200);
    assertThat(Arrays.stream(perSlice).max().orElseThrow()).as("most permits in one 100 ms slice")
        .isLessThanOrEqualTo(burst + 10 + 1);
  }

  @Test
  void interruptingABlockedAcquireThrowsPromptlyAndConsumesNoPermit() throws Exception {
    RateLimiter limiter = limitersSharingOneCap(new RateLimiterConfig(1, 1, 0), 1).get(0);
    limiter.acquire();
    AtomicReference<Thread> waiter = new AtomicReference<>();
    CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
      waiter.set(Thread.currentThread());
      try {
        limiter.acquire();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    await().atMost(Duration.ofSeconds(5)).until(
        () -> waiter.get() != null && waiter.get().getState() == Thread.State.TIMED_WAITING);

    waiter.get().interrupt();

    assertThatThrownBy(() -> blocked.get(300, TimeUnit.MILLISECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseInstanceOf(InterruptedException.class);
    // The interrupted caller's permit is due within a second; had it been taken, the next one
    // would be two seconds away and this would return false at once.
    assertThat(limiter.tryAcquire(1, Duration.ofSeconds(1))).isTrue();
  }

  /** One unit of a producer's demand on its limiter. */
  private interface Demand {
    void next(RateLimiter limiter) throws InterruptedException;
  }

  /** Runs {@code demand} on one thread per limiter given until {@code deadline}, then joins them. */
  private static void runProducers(List<RateLimiter> limiters, long deadline, Demand demand)
      throws InterruptedException {
    List<Thread> producers = new ArrayList<>();
    for (int i = 0; i < limiters.size(); i++) {
      RateLimiter limiter = limiters.get(i);
      Thread producer = new Thread(() -> {
        try {
          while (System.nanoTime() - deadline < 0) {
            demand.next(limiter);
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
