package dev.workqueue.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.Job;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.event.JobEnqueuedEvent;
import dev.workqueue.memory.InMemoryQueueBackend;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class QueueTagCardinalityTest {
  private static final Set<String> ALLOWED = Set.of("emails", "reports", "billing");
  private static final int QUEUE_COUNT = 1_000;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void thousandQueueNamesWithAllowListOfThreeGiveAtMostThreePlusFoldCountTagValues() {
    int folds = 8;
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(ALLOWED).foldedQueueBuckets(folds).build();

    produceOneJobInEach(metrics, IntStream.range(0, QUEUE_COUNT).mapToObj(i -> "tenant-" + i));
    produceOneJobInEach(metrics, ALLOWED.stream());

    Map<String, Double> producedByTag = producedByQueueTag();
    assertThat(producedByTag.size()).isLessThanOrEqualTo(ALLOWED.size() + folds);
    assertThat(producedByTag).containsKeys("emails", "reports", "billing");
    assertThat(producedByTag.keySet()).allMatch(tag -> ALLOWED.contains(tag) || tag.matches("other-[0-7]"));
    assertThat(producedByTag.values().stream().mapToDouble(Double::doubleValue).sum())
        .isEqualTo(QUEUE_COUNT + ALLOWED.size());
  }

  @Test
  void withASingleFoldEveryUnlistedQueueIsTaggedOther() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).queueTagAllowList(ALLOWED).build();

    produceOneJobInEach(metrics, IntStream.range(0, QUEUE_COUNT).mapToObj(i -> "tenant-" + i));
    produceOneJobInEach(metrics, ALLOWED.stream());

    assertThat(producedByQueueTag()).containsOnly(
        Map.entry("emails", 1.0), Map.entry("reports", 1.0), Map.entry("billing", 1.0),
        Map.entry("other", (double) QUEUE_COUNT));
  }

  @Test
  void aFoldedQueueAlwaysLandsInTheSameBucket() {
    MicrometerQueueObserver first = MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(Set.of()).foldedQueueBuckets(16).build();
    SimpleMeterRegistry otherRegistry = new SimpleMeterRegistry();
    MicrometerQueueObserver second = MicrometerQueueObserver.builder(otherRegistry)
        .queueTagAllowList(Set.of()).foldedQueueBuckets(16).build();

    first.onEnqueued(enqueued("tenant-42"));
    first.onEnqueued(enqueued("tenant-42"));
    second.onEnqueued(enqueued("tenant-42"));

    Counter counter = registry.get("jobs.produced").counter();
    assertThat(counter.count()).isEqualTo(2);
    assertThat(otherRegistry.get("jobs.produced").counter().getId().getTag("queue"))
        .isEqualTo(counter.getId().getTag("queue"))
        .matches("other-([0-9]|1[0-5])");
  }

  @Test
  void aFoldedQueueNamedLikeABucketIsCountedInTheBucketItsHashPicks() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(Set.of()).foldedQueueBuckets(16).build();
    String lookalike = IntStream.range(0, 16).mapToObj(i -> "other-" + i)
        .filter(name -> !name.equals(hashBucket(name, 16)))
        .findFirst().orElseThrow();

    produceOneJobInEach(metrics, Stream.of(lookalike, lookalike, lookalike));

    assertThat(producedByQueueTag()).containsOnly(Map.entry(hashBucket(lookalike, 16), 3.0));
  }

  private static String hashBucket(String queue, int buckets) {
    return "other-" + Math.floorMod(queue.hashCode(), buckets);
  }

  @Test
  void withoutAllowListTheFirstNamesSeenUpToTheLimitAreKept() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).queueTagLimit(2).build();

    produceOneJobInEach(metrics, Stream.of("a", "b", "c", "a", "d"));

    assertThat(producedByQueueTag()).containsOnly(
        Map.entry("a", 2.0), Map.entry("b", 1.0), Map.entry("other", 2.0));
  }

  /**
   * The updater reads queues in name order: a host's own queue, sorting after the first limit of
   * others, was folded into other before its own producer or consumer reported it.
   */
  @Test
  void allowListedQueuesKeepTheirNamesBesideTheFirstOthersSeenUpToTheLimit() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(Set.of("reports")).queueTagLimit(2).build();

    produceOneJobInEach(metrics, Stream.of("a", "b", "c", "reports", "a", "d"));

    assertThat(producedByQueueTag()).containsOnly(
        Map.entry("a", 2.0), Map.entry("b", 1.0), Map.entry("reports", 1.0), Map.entry("other", 2.0));
  }

  @Test
  void queueLengthTagsAreFoldedAndSummed() {
    MicrometerQueueObserver metrics = MicrometerQueueObserver.builder(registry).queueTagAllowList(ALLOWED).build();
    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create();
        Producer producer = Producer.builder(backend).build()) {
      for (int i = 0; i < 50; i++) {
        producer.enqueue(NewJob.builder("x").queue("tenant-" + i).build());
      }
      producer.enqueue(NewJob.builder("x").queue("emails").build());
      try (QueueLengthUpdater updater = metrics.startQueueLengthUpdater(backend)) {
        updater.refresh();

        Map<String, Double> lengths = registry.find("queue.length").gauges().stream()
            .collect(Collectors.toMap(gauge -> gauge.getId().getTag("queue"), gauge -> gauge.value()));
        assertThat(lengths).containsOnly(Map.entry("emails", 1.0), Map.entry("other", 50.0));
      }
    }
  }

  /**
   * A queue named like the folded tag value was kept first-seen: its figures and those of every
   * folded queue showed as one series, and it took the place of a queue that should have been kept.
   */
  @Test
  void withoutAllowListAQueueNamedLikeTheFoldedTagValueIsFoldedAndNeverTakesAKeptPlace() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MicrometerQueueObserver metrics =
        MicrometerQueueObserver.builder(prometheus).queueTagLimit(2).build();
    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create();
        Producer producer = Producer.builder(backend).observer(metrics).build()) {
      for (String queue : List.of("other", "other", "emails", "reports", "tenant-1")) {
        producer.enqueue(NewJob.builder("x").queue(queue).build());
      }
      try (QueueLengthUpdater updater = metrics.startQueueLengthUpdater(backend)) {
        updater.refresh();

        PrometheusSamples scrape = PrometheusSamples.parse(prometheus.scrape());
        assertThat(scrape.value("jobs_produced_total", Map.of("queue", "emails"))).isEqualTo(1);
        assertThat(scrape.value("jobs_produced_total", Map.of("queue", "reports"))).isEqualTo(1);
        assertThat(scrape.value("jobs_produced_total", Map.of("queue", "other"))).isEqualTo(3);
        assertThat(scrape.find("jobs_produced_total", Map.of())).hasSize(3);
        assertThat(scrape.value("queue_length", Map.of("queue", "emails"))).isEqualTo(1);
        assertThat(scrape.value("queue_length", Map.of("queue", "other"))).isEqualTo(3);
      }
    }
  }

  /** An allow-listed queue named like a folded tag value showed the folded queues' figures as its own. */
  @Test
  void anAllowListNamingATagValueOfFoldedQueuesIsRefused() {
    assertThatThrownBy(() -> MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(Set.of("other")).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid micrometer queue observer: queueTagAllowList must be queue names other than "
            + "\"other\", the tag value of folded queues, but was [other]");
    assertThatThrownBy(() -> MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(Set.of("other-3")).foldedQueueBuckets(4).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid micrometer queue observer: queueTagAllowList must be queue names other than "
            + "\"other-0\" to \"other-3\", the tag values of folded queues, but was [other-3]");

    // Names of other fold settings are no tag value here, so they may be kept.
    MicrometerQueueObserver buckets = MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(Set.of("other", "other-4")).foldedQueueBuckets(4).build();
    produceOneJobInEach(buckets, Stream.of("other", "other-4"));
    MicrometerQueueObserver single = MicrometerQueueObserver.builder(registry)
        .queueTagAllowList(Set.of("other-0")).build();
    produceOneJobInEach(single, Stream.of("other-0"));
    assertThat(producedByQueueTag()).containsOnly(
        Map.entry("other", 1.0), Map.entry("other-4", 1.0), Map.entry("other-0", 1.0));
  }

  private static void produceOneJobInEach(MicrometerQueueObserver metrics, Stream<String> queues) {
    queues.forEach(queue -> metrics.onEnqueued(enqueued(queue)));
  }

  private static JobEnqueuedEvent enqueued(String queue) {
    Instant now = Instant.now();
    return new JobEnqueuedEvent(new Job("id-" + queue, queue, "default", new byte[0], 0, 0, now, now,
        Map.of(), null), true);
  }

  private Map<String, Double> producedByQueueTag() {
    return registry.find("jobs.produced").counters().stream()
        .collect(Collectors.toMap(counter -> counter.getId().getTag("queue"), Counter::count));
  }
}
