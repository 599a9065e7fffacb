package dev.workqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.workqueue.RateLimiterConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class GcraTest {
  private static final double NANOS_PER_SECOND = 1.0E9;

  /** A request: arrives {@code gap} emission intervals after the previous one; the caller wakes {@code lateness} intervals after its admission. */
  record Request(double gap, int permits, double lateness) {}

  /** One admitted request, as a serialized limiter sees it. */
  record Grant(long at, int permits) {}

  private static Gen<Double> rates() {
    return doubles().between(0.5, 1.0E6);
  }

  private static Gen<Integer> bursts() {
    return integers().between(1, 20);
  }

  private static Gen<Long> origins() {
    return longs().between(-1_000_000_000_000_000L, 1_000_000_000_000_000L);
  }

  private static Gen<List<Request>> requests(int maxPermits) {
    Gen<Request> request = doubles().between(0, 3).zip(integers().between(1, maxPermits),
        doubles().between(0, 0.5), Request::new);
    return lists().of(request).ofSizeBetween(1, 60);
  }

  /**
   * Runs the requests through the schedule the way {@link LocalRateLimiter} does: one at a time,
   * each made when it arrives or when the caller before it woke, whichever is later.
   */
  private static List<Grant> run(Gcra gcra, long origin, List<Request> requests) {
    double interval = gcra.emissionIntervalNanos();
    Gcra.Tat theoreticalArrival = Gcra.Tat.at(origin);
    long arrival = origin;
    long previousWake = origin;
    List<Grant> grants = new ArrayList<>();
    for (Request request : requests) {
      arrival += (long) (request.gap() * interval);
      long now = Math.max(arrival, previousWake);
      Gcra.Admission admission = gcra.admit(theoreticalArrival, now, request.permits());
      assertThat(admission.at()).isGreaterThanOrEqualTo(now);
      theoreticalArrival = admission.theoreticalArrival();
      previousWake = admission.at() + (long) (request.lateness() * interval);
      grants.add(new Grant(admission.at(), request.permits()));
    }
    return grants;
  }

  @Test
  void admittedPermitsNeverExceedRateTimesElapsedPlusBurst() {
    qt().forAll(rates(), bursts(), origins(), requests(60)).checkAssert((rate, burst, origin, requests) -> {
      Gcra gcra = Gcra.of(new RateLimiterConfig(rate, burst, 0));
      long admitted = 0;
      for (Grant grant : run(gcra, origin, requests)) {
        admitted += grant.permits();
        double elapsedSeconds = (grant.at() - origin) / NANOS_PER_SECOND;
        assertThat((double) admitted).isLessThanOrEqualTo(rate * elapsedSeconds + burst + 1.0E-6);
      }
    });
  }

  @Test
  void noWindowAdmitsMoreThanRateTimesItsLengthPlusBurst() {
    qt().forAll(rates(), bursts(), origins(), requests(20)).checkAssert((rate, burst, origin, requests) -> {
      Gcra gcra = Gcra.of(new RateLimiterConfig(rate, burst, 0));
      List<Grant> grants = run(gcra, origin, requests.stream()
          .map(r -> new Request(r.gap(), Math.min(r.permits(), burst), r.lateness())).toList());
      for (int first = 0; first < grants.size(); first++) {
        long admitted = 0;
        for (int last = first; last < grants.size(); last++) {
          admitted += grants.get(last).permits();
          // Admission times are the exact schedule rounded up to whole nanoseconds, so the first
          // one of a window may be late by up to a nanosecond.
          double windowSeconds = (grants.get(last).at() - grants.get(first).at() + 1) / NANOS_PER_SECOND;
          assertThat((double) admitted).isLessThanOrEqualTo(rate * windowSeconds + burst + 1.0E-6);
        }
      }
    });
  }

  @Test
  void backToBackDemandIsAdmittedAsSoonAsTheRateAllows() {
    qt().forAll(rates(), bursts(), origins(), requests(60)).checkAssert((rate, burst, origin, requests) -> {
      Gcra gcra = Gcra.of(new RateLimiterConfig(rate, burst, 0));
      List<Grant> grants = run(gcra, origin, requests.stream()
          .map(r -> new Request(0, r.permits(), 0)).toList());
      long requested = 0;
      for (Grant grant : grants) {
        requested += grant.permits();
        double due = origin + Math.max(0, (requested - burst) * gcra.emissionIntervalNanos());
        // Admission times are whole nanoseconds, rounded up from the exact schedule.
        assertThat(grant.at() - origin).isBetween((long) (due - origin), (long) Math.ceil(due - origin) + 1);
      }
    });
  }

  @Test
  void requestWithinBurstOnAnIdleScheduleIsAdmittedAtOnce() {
    qt().forAll(rates(), bursts(), origins(), longs().between(0, 1_000_000_000_000L))
        .checkAssert((rate, burst, tat, idleNanos) -> {
          Gcra gcra = Gcra.of(new RateLimiterConfig(rate, burst, 0));
          long now = tat + idleNanos;
          Gcra.Admission admission = gcra.admit(Gcra.Tat.at(tat), now, burst);
          assertThat(admission.isImmediate(now)).isTrue();
          Gcra.Tat end = admission.theoreticalArrival();
          assertThat(end.nanos() - now + end.fraction())
              .isCloseTo(burst * gcra.emissionIntervalNanos(), offset(1.0E-3));
        });
  }

  @Test
  void intervalIsExactlyOneOverTheRate() {
    assertThat(Gcra.of(RateLimiterConfig.of(200)).emissionIntervalNanos()).isEqualTo(5_000_000);
    assertThat(Gcra.of(RateLimiterConfig.of(3)).emissionIntervalNanos()).isEqualTo(1.0E9 / 3);
    assertThat(Gcra.of(RateLimiterConfig.of(1.0E9)).emissionIntervalNanos()).isEqualTo(1);
  }

  /**
   * Fractions of a nanosecond add up: rounding each request's share up to whole nanoseconds
   * held a limiter at 9.0E8 per second to one permit every 2 ns, 5.0E8 per second.
   */
  @Test
  void backToBackDemandOverALongRunGetsTheConfiguredRateAtAnyRate() {
    qt().forAll(doubles().between(1.0, 1.0E9), integers().between(1, 1_000))
        .checkAssert((rate, permits) -> {
          Gcra gcra = Gcra.of(new RateLimiterConfig(rate, 1, 0));
          Gcra.Tat theoreticalArrival = Gcra.Tat.at(0);
          long now = 0;
          for (int i = 0; i < 1_000; i++) {
            Gcra.Admission admission = gcra.admit(theoreticalArrival, now, permits);
            now = admission.at();
            theoreticalArrival = admission.theoreticalArrival();
          }
          double exact = (1_000.0 * permits - 1) * gcra.emissionIntervalNanos();
          assertThat((double) now).isBetween(exact, exact * (1 + 1.0E-9) + 1);
        });
  }

  /**
   * The contract's bound: under demand above the cap, every window of 10 s or more admits within
   * 10% of the rate times its length, for any burst of at most the rate (the runner's default).
   * Ten seconds is the shortest window, where a burst weighs most.
   */
  @Test
  void everyTenSecondWindowIsWithinTenPercentOfTheRateWhenTheBurstIsAtMostTheRate() {
    long window = 10_000_000_000L;
    qt().forAll(doubles().between(1.0, 300.0), doubles().between(0, 1), origins())
        .checkAssert((rate, burstShare, origin) -> {
          int burst = (int) Math.max(1, Math.floor(rate * burstShare));
          Gcra gcra = Gcra.of(new RateLimiterConfig(rate, burst, 0));
          long[] admitted = new long[(int) Math.ceil(rate * 25) + burst];
          Gcra.Tat theoreticalArrival = Gcra.Tat.at(origin);
          long now = origin;
          for (int i = 0; i < admitted.length; i++) {
            Gcra.Admission admission = gcra.admit(theoreticalArrival, now, 1);
            now = admission.at();
            admitted[i] = now;
            theoreticalArrival = admission.theoreticalArrival();
          }
          double cap = rate * window / NANOS_PER_SECOND;
          int end = 0;
          for (int first = 0; admitted[first] + window <= admitted[admitted.length - 1]; first++) {
            while (admitted[end] < admitted[first] + window) {
              end++;
            }
            // [admitted[first], +window) holds the most a window starting there can; the window
            // just after admitted[first] holds one fewer: the least.
            assertThat((double) end - first).as("window from permit %d", first)
                .isLessThanOrEqualTo(cap * 1.1);
            assertThat((double) end - first - 1).as("window after permit %d", first)
                .isGreaterThanOrEqualTo(cap * 0.9);
          }
        });
  }

  @Test
  void permitCountOutsideTheRangeIsRejected() {
    Gcra gcra = Gcra.of(RateLimiterConfig.of(1.0E-6));

    assertThatThrownBy(() -> gcra.admit(Gcra.Tat.at(0), 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits must be between 1 and " + gcra.maxPermitsPerRequest() + ", but was 0");
    assertThatThrownBy(() -> gcra.admit(Gcra.Tat.at(0), 0, gcra.maxPermitsPerRequest() + 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(gcra.admit(Gcra.Tat.at(0), 0, gcra.maxPermitsPerRequest()).at()).isPositive();
  }
}
