package dev.workqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class LocalRateLimiterTest {
  private static final Duration INTERVAL_AT_10_PER_SECOND = Duration.ofMillis(100);

  private final ManualTicker ticker = new ManualTicker(-5_000_000_000L);

  private LocalRateLimiter limiter(double permitsPerSecond, int burst, double jitter) {
    return new LocalRateLimiter(new RateLimiterConfig(permitsPerSecond, burst, jitter), ticker);
  }

  @Test
  void burstIsAvailableAtOnceThenOnePermitPerInterval() {
    LocalRateLimiter limiter = limiter(10, 3, 0);

    assertThat(limiter.tryAcquire(2)).isTrue();
    assertThat(limiter.tryAcquire(1)).isTrue();
    assertThat(limiter.tryAcquire(1)).isFalse();
    ticker.advance(INTERVAL_AT_10_PER_SECOND.minusNanos(1));
    assertThat(limiter.tryAcquire(1)).isFalse();
    ticker.advance(Duration.ofNanos(1));
    assertThat(limiter.tryAcquire(1)).isTrue();
    assertThat(limiter.tryAcquire(1)).isFalse();
  }

  @Test
  void failedTryAcquireConsumesNoPermit() {
    LocalRateLimiter limiter = limiter(10, 2, 0);
    assertThat(limiter.tryAcquire(1)).isTrue();

    assertThat(limiter.tryAcquire(2)).isFalse();
    assertThat(limiter.tryAcquire(1)).isTrue();
  }

  @Test
  void acquireParksExactlyUntilThePermitIsDue() throws InterruptedException {
    LocalRateLimiter limiter = limiter(10, 1, 0);

    limiter.acquire();
    assertThat(ticker.elapsed()).isZero();
    limiter.acquire();
    limiter.acquire();
    assertThat(ticker.elapsed()).isEqualTo(INTERVAL_AT_10_PER_SECOND.multipliedBy(2));
  }

  @Test
  void requestLargerThanBurstWaitsForItsSurplusAndDelaysTheNextCaller() throws InterruptedException {
    LocalRateLimiter limiter = limiter(10, 2, 0);

    limiter.acquire(5);
    assertThat(ticker.elapsed()).isEqualTo(INTERVAL_AT_10_PER_SECOND.multipliedBy(3));
    limiter.acquire(1);
    assertThat(ticker.elapsed()).isEqualTo(INTERVAL_AT_10_PER_SECOND.multipliedBy(4));
  }

  /**
   * Near the top of the range one permit's interval is a fraction of a nanosecond over a whole
   * one (1.11 ns at 9.0E8 per second); each permit's share must not be rounded up to whole
   * nanoseconds, which held a bulk caller to 5.0E8 per second, 44% under the cap.
   */
  @Test
  void bulkRequestsAtRatesNearOnePermitPerNanosecondGetTheConfiguredRate() throws InterruptedException {
    LocalRateLimiter limiter = limiter(9.0E8, 1, 0);

    for (int i = 0; i < 1_000; i++) {
      limiter.acquire(900_000);
    }

    assertThat(ticker.elapsed()).isBetween(Duration.ofMillis(999), Duration.ofMillis(1_001));
  }

  @Test
  void jitterDelaysEachWaitByAtMostItsFractionWithoutDriftingTheSchedule() throws InterruptedException {
    LocalRateLimiter limiter = limiter(10, 1, 0.5);
    limiter.acquire();

    for (int permit = 1; permit <= 50; permit++) {
      limiter.acquire();
      Duration due = INTERVAL_AT_10_PER_SECOND.multipliedBy(permit);
      assertThat(ticker.elapsed()).isBetween(due, due.plus(INTERVAL_AT_10_PER_SECOND.dividedBy(2)));
    }
  }

  @Test
  void tryAcquireWithTimeoutWaitsWhenThePermitIsDueInTimeAndReturnsAtOnceOtherwise()
      throws InterruptedException {
    LocalRateLimiter limiter = limiter(10, 1, 0);
    limiter.acquire();

    assertThat(limiter.tryAcquire(1, Duration.ofMillis(99))).isFalse();
    assertThat(ticker.elapsed()).isZero();
    assertThat(limiter.tryAcquire(1, Duration.ofMillis(100))).isTrue();
    assertThat(ticker.elapsed()).isEqualTo(INTERVAL_AT_10_PER_SECOND);
    assertThat(limiter.tryAcquire(1, Duration.ZERO)).isFalse();
    assertThat(limiter.tryAcquire(1, Duration.ofDays(365_000_000))).isTrue();
  }

  @Test
  void invalidArgumentsAreRejectedWithTheirRule() {
    LocalRateLimiter limiter = limiter(10, 1, 0);
    long most = Gcra.of(RateLimiterConfig.of(10)).maxPermitsPerRequest();

    assertThatThrownBy(() -> limiter.acquire(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits must be between 1 and " + most + ", but was 0");
    assertThatThrownBy(() -> limiter.tryAcquire(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter.tryAcquire(1, Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be zero or a positive duration, but was PT-0.001S");
    assertThatThrownBy(() -> limiter.tryAcquire(1, null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void interruptingACallerQueuedBehindAnotherThrowsPromptly() throws Exception {
    RateLimiter limiter = RateLimiter.local(new RateLimiterConfig(0.1, 1, 0));
    Thread head = parkedAtTheHeadOfTheLine(limiter);
    AtomicReference<Thread> queued = new AtomicReference<>();
    CompletableFuture<Void> behind = CompletableFuture.runAsync(() -> {
      queued.set(Thread.currentThread());
      try {
        limiter.acquire();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    await().atMost(Duration.ofSeconds(5)).until(
        () -> queued.get() != null && queued.get().getState() == Thread.State.WAITING);

    queued.get().interrupt();

    assertThatThrownBy(() -> behind.get(300, TimeUnit.MILLISECONDS))
        .hasRootCauseInstanceOf(InterruptedException.class);
    assertThat(limiter.tryAcquire(1)).isFalse();
    head.interrupt();
    head.join(5_000);
  }

  /**
   * One permit per 100 s: the caller at the head of the line waits for the second, so a caller
   * asking for a permit within a minute cannot have one, and must hear so at once rather than
   * after standing in line for its whole timeout.
   */
  @Test
  void tryAcquireWithATimeoutBehindAWaitingCallerReturnsAtOnceWhenItCannotBeServedInTime() throws Exception {
    RateLimiter limiter = RateLimiter.local(new RateLimiterConfig(0.01, 1, 0));
    Thread head = parkedAtTheHeadOfTheLine(limiter);

    long start = System.nanoTime();
    boolean acquired = limiter.tryAcquire(1, Duration.ofMinutes(1));

    assertThat(acquired).isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    head.interrupt();
    head.join(5_000);
  }

  /** Takes the limiter's one permit, then starts a thread that waits at the head of the line for the next. */
  private static Thread parkedAtTheHeadOfTheLine(RateLimiter limiter) throws InterruptedException {
    limiter.acquire();
    Thread head = new Thread(() -> {
      try {
        limiter.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    head.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> head.getState() == Thread.State.TIMED_WAITING);
    return head;
  }
}
