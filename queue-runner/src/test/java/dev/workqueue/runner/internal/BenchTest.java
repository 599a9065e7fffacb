package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.runner.internal.config.RunnerConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchTest {
  @Test
  void percentilesUseTheNearestRank() {
    long[] nanos = new long[100];
    for (int i = 0; i < nanos.length; i++) {
      nanos[i] = (100 - i) * 1_000_000L;
    }

    Map<String, Double> percentiles = Bench.percentiles(nanos, 100);

    assertThat(percentiles).containsEntry("p50", 50.0).containsEntry("p95", 95.0)
        .containsEntry("p99", 99.0).containsEntry("max", 100.0);
  }

  /** 500 payloads of 2 MB made one 1 GB request, which outlasted Redis' socket timeout. */
  @Test
  void batchesHoldAtMostEightMebibytesOfPayloadAndAtLeastOneJob() {
    assertThat(Bench.jobsPerBatch(0)).isEqualTo(500);
    assertThat(Bench.jobsPerBatch(256)).isEqualTo(500);
    assertThat(Bench.jobsPerBatch(2_000_000)).isEqualTo(4);
    assertThat(Bench.jobsPerBatch(Producer.DEFAULT_MAX_PAYLOAD_BYTES)).isEqualTo(8);
    assertThat(Bench.jobsPerBatch(100_000_000)).isEqualTo(1);
  }

  @Test
  void runsOnTheInMemoryBackendAndProcessesEveryJob() throws Exception {
    RunnerConfig config = RunnerConfig.defaults();
    try (Components components = Components.create(config)) {
      Bench.Report report = Bench.run(components, config,
          new Bench.Settings(200, 0, 16, "bench", "default", 0, 2, Duration.ofSeconds(60)));

      assertThat(report.processed()).isEqualTo(200);
      assertThat(report.toMap()).containsKeys("enqueue_rate_per_sec", "processing_rate_per_sec", "latency_ms");
      assertThat(report.toTable()).contains("enqueue rate", "processing rate", "p50", "p95", "p99", "max");
    }
  }

  /** A timed-out run printed rate 0, latencies NaN (0.0 in JSON) and nothing of the jobs it left. */
  @Test
  void aRunThatTimesOutSaysSoWithTheJobsItLeftAndNoLatencies() throws Exception {
    RunnerConfig config = RunnerConfig.defaults();
    try (Components components = Components.create(config)) {
      // No worker serves the lane "unserved", so no job is ever processed.
      Bench.Report report = Bench.run(components, config,
          new Bench.Settings(20, 0, 16, "stuck", "unserved", 0, 1, Duration.ofMillis(200)));

      assertThat(report.processed()).isZero();
      assertThat(report.timedOut()).isTrue();
      assertThat(report.jobsLeft()).isEqualTo(20);
      String json = Json.write(report.toMap());
      assertThat(json).contains("\"queue\":\"stuck\"", "\"timed_out\":true", "\"jobs_left\":20",
          "\"offered_rate_per_sec\":null",
          "\"latency_ms\":{\"p50\":null,\"p95\":null,\"p99\":null,\"max\":null}");
      assertThat(report.toTable()).contains("timed out          after 200ms: 0 of 20 jobs processed, "
          + "20 left on queue \"stuck\"", "latency ms         none measured").doesNotContain("NaN");
    }
  }

  @Test
  void aRunThatFinishesReportsNoTimeoutAndANumericOfferedRate() throws Exception {
    RunnerConfig config = RunnerConfig.defaults();
    try (Components components = Components.create(config)) {
      Bench.Report report = Bench.run(components, config,
          new Bench.Settings(20, 0, 16, "rated", "default", 1000, 2, Duration.ofSeconds(60)));

      assertThat(report.timedOut()).isFalse();
      assertThat(Json.write(report.toMap())).contains("\"timed_out\":false", "\"jobs_left\":0",
          "\"offered_rate_per_sec\":1000.0");
      assertThat(report.toTable()).doesNotContain("timed out");
    }
  }

  @Test
  void warmUpJobsRunFirstAndAreLeftOutOfTheFigures() throws Exception {
    RunnerConfig config = RunnerConfig.defaults();
    try (Components components = Components.create(config)) {
      Bench.Report report = Bench.run(components, config,
          new Bench.Settings(100, 300, 16, "warm", "default", 0, 2, Duration.ofSeconds(60)));

      assertThat(report.processed()).isEqualTo(100);
      assertThat(report.toMap()).containsEntry("jobs", 100).containsEntry("warmup_jobs", 300);
      assertThat(report.toTable()).contains("after 300 warm-up jobs");
      assertThat(components.backend().stats("warm").pending()).isZero();
    }
  }

  @Test
  void aQueueThatHoldsJobsIsNamedWithTheJobsItHolds() {
    RunnerConfig config = RunnerConfig.defaults();
    try (Components components = Components.create(config);
        Producer producer = components.producerBuilder().defaultQueue("real").build()) {
      assertThat(Bench.jobsHeld(components.backend(), "real")).isNull();

      producer.enqueue(NewJob.of("work"));
      producer.enqueue(NewJob.builder("later").delay(Duration.ofHours(1)).build());

      assertThat(Bench.jobsHeld(components.backend(), "real"))
          .isEqualTo("1 waiting, 1 delayed and 0 in flight");
      assertThat(Bench.jobsHeld(components.backend(), "bench")).isNull();
    }
  }
}
