package dev.workqueue.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.workqueue.InvalidConfigurationException;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CachedWallClockTest {

  @Test
  void wallTimeFollowsTheSystemClock() {
    try (CachedWallClock clock = CachedWallClock.start(Duration.ofMillis(5))) {
      long start = clock.wallTime();
      assertThat(start).isLessThanOrEqualTo(System.currentTimeMillis());

      long later = System.currentTimeMillis() + 50;
      await().atMost(Duration.ofSeconds(10)).until(() -> clock.wallTime() >= later);
      assertThat(clock.wallTime()).isLessThanOrEqualTo(System.currentTimeMillis());
    }
  }

  @Test
  void monotonicTimeIsNotCached() {
    try (CachedWallClock clock = CachedWallClock.start(Duration.ofSeconds(1))) {
      long first = clock.monotonicTime();
      await().atMost(Duration.ofSeconds(10)).until(() -> clock.monotonicTime() > first);
    }
  }

  @Test
  void afterCloseWallTimeIsReadFromTheSystem() {
    // Refreshed only after a second, so a cached value would lag behind the system clock below.
    CachedWallClock clock = CachedWallClock.start(Duration.ofSeconds(1));
    long created = System.currentTimeMillis();
    await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() > created + 2);
    clock.close();

    long before = System.currentTimeMillis();
    assertThat(clock.wallTime()).isBetween(before, System.currentTimeMillis());
  }

  @Test
  void aRegistryOnTheClockRecordsTimers() {
    try (CachedWallClock clock = CachedWallClock.start()) {
      PrometheusMeterRegistry registry =
          new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock);
      Timer timer = Timer.builder("work").serviceLevelObjectives(Duration.ofMillis(10)).register(registry);
      timer.record(3, TimeUnit.MILLISECONDS);
      timer.record(30, TimeUnit.MILLISECONDS);

      PrometheusSamples scrape = PrometheusSamples.parse(registry.scrape());
      assertThat(scrape.value("work_seconds_count", Map.of())).isEqualTo(2);
      assertThat(scrape.value("work_seconds_bucket", Map.of("le", "0.01"))).isEqualTo(1);
      assertThat(scrape.value("work_seconds_max", Map.of())).isEqualTo(0.03);
      registry.close();
    }
  }

  @Test
  void resolutionOutsideOneMillisecondToOneSecondIsRejected() {
    for (Duration resolution : new Duration[] {Duration.ZERO, Duration.ofNanos(999_999), Duration.ofMillis(1_001)}) {
      assertThatThrownBy(() -> CachedWallClock.start(resolution))
          .isInstanceOf(InvalidConfigurationException.class)
          .hasMessageContaining("resolution must be between 1 ms and 1 s, but was " + resolution);
    }
    assertThatThrownBy(() -> CachedWallClock.start(null))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("resolution must be set, but was null");
  }
}
