package dev.workqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.Job;
import dev.workqueue.event.JobEnqueuedEvent;
import dev.workqueue.event.JobStartedEvent;
import dev.workqueue.event.JobSucceededEvent;
import dev.workqueue.event.JobsFetchedEvent;
import dev.workqueue.spi.QueueObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompositeObserverTest {
  private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
  private static final Job JOB = new Job("job-1", "emails", "default", new byte[1], 1, 0, NOW, NOW, Map.of(), null);

  @Test
  void withoutObserversNoEventIsWanted() {
    CompositeObserver none = CompositeObserver.of(List.of());

    assertThat(none.observesEnqueued()).isFalse();
    assertThat(none.observesFetched()).isFalse();
    assertThat(none.observesStarted()).isFalse();
    assertThat(none.observesSucceeded()).isFalse();
  }

  @Test
  void eachEventIsWantedOnlyWhenAnObserverOverridesItsMethod() {
    List<String> seen = new ArrayList<>();
    QueueObserver counting = new QueueObserver() {
      @Override
      public void onEnqueued(JobEnqueuedEvent event) {
        seen.add("enqueued " + event.job().id());
      }

      @Override
      public void onSucceeded(JobSucceededEvent event) {
        seen.add("succeeded " + event.job().id());
      }
    };
    QueueObserver ignoring = new QueueObserver() {};
    CompositeObserver composite = CompositeObserver.of(List.of(ignoring, counting));

    assertThat(composite.observesEnqueued()).isTrue();
    assertThat(composite.observesFetched()).isFalse();
    assertThat(composite.observesStarted()).isFalse();
    assertThat(composite.observesSucceeded()).isTrue();

    composite.onEnqueuedBatch(
        List.of(new JobEnqueuedEvent(JOB, true), new JobEnqueuedEvent(JOB.withAttempt(2), true)));
    composite.onFetched(new JobsFetchedEvent("mailer", "emails", List.of(JOB)));
    composite.onStarted(new JobStartedEvent(JOB, "mailer"));
    composite.onSucceeded(new JobSucceededEvent(JOB, "mailer", JOB.queue(), Duration.ofMillis(1)));
    assertThat(seen).containsExactly("enqueued job-1", "enqueued job-1", "succeeded job-1");
  }

  @Test
  void aBatchOverrideAloneMakesEnqueuedEventsWanted() {
    List<Integer> batchSizes = new ArrayList<>();
    CompositeObserver composite = CompositeObserver.of(List.of(new QueueObserver() {
      @Override
      public void onEnqueuedBatch(List<JobEnqueuedEvent> events) {
        batchSizes.add(events.size());
      }
    }));

    composite.onEnqueuedBatch(List.of(new JobEnqueuedEvent(JOB, true), new JobEnqueuedEvent(JOB, false)));

    assertThat(composite.observesEnqueued()).isTrue();
    assertThat(batchSizes).containsExactly(2);
  }

  @Test
  void aBatchOverrideAloneMakesSucceededEventsWanted() {
    List<Integer> batchSizes = new ArrayList<>();
    CompositeObserver composite = CompositeObserver.of(List.of(new QueueObserver() {
      @Override
      public void onSucceededBatch(List<JobSucceededEvent> events) {
        batchSizes.add(events.size());
      }
    }));
    JobSucceededEvent succeeded = new JobSucceededEvent(JOB, "mailer", JOB.queue(), Duration.ofMillis(1));

    composite.onSucceededBatch(List.of(succeeded, succeeded));
    composite.onSucceeded(succeeded);

    assertThat(composite.observesSucceeded()).isTrue();
    assertThat(batchSizes).containsExactly(2, 1);
  }

  @Test
  void aSingleEnqueuedEventReachesAnObserverOverridingOnlyTheBatchForm() {
    List<Integer> batchSizes = new ArrayList<>();
    CompositeObserver composite = CompositeObserver.of(List.of(new QueueObserver() {
      @Override
      public void onEnqueuedBatch(List<JobEnqueuedEvent> events) {
        batchSizes.add(events.size());
      }
    }));

    composite.onEnqueued(new JobEnqueuedEvent(JOB, true));

    assertThat(batchSizes).containsExactly(1);
  }

  @Test
  void aThrowingBatchObserverDoesNotKeepTheBatchFromTheNextOne() {
    List<String> seen = new ArrayList<>();
    CompositeObserver composite = CompositeObserver.of(List.of(
        new QueueObserver() {
          @Override
          public void onSucceeded(JobSucceededEvent event) {
            throw new IllegalStateException("observer bug");
          }
        },
        new QueueObserver() {
          @Override
          public void onSucceeded(JobSucceededEvent event) {
            seen.add(event.job().id());
          }
        }));
    JobSucceededEvent succeeded = new JobSucceededEvent(JOB, "mailer", JOB.queue(), Duration.ofMillis(1));

    composite.onSucceededBatch(List.of(succeeded, succeeded));

    assertThat(seen).containsExactly("job-1", "job-1");
  }

  @Test
  void aThrowingObserverDoesNotKeepTheEventFromTheNextOne() {
    List<String> seen = new ArrayList<>();
    CompositeObserver composite = CompositeObserver.of(List.of(
        new QueueObserver() {
          @Override
          public void onFetched(JobsFetchedEvent event) {
            throw new IllegalStateException("observer bug");
          }
        },
        new QueueObserver() {
          @Override
          public void onFetched(JobsFetchedEvent event) {
            seen.add(event.consumer());
          }
        }));

    composite.onFetched(new JobsFetchedEvent("mailer", "emails", List.of(JOB)));
    composite.onFetched(new JobsFetchedEvent("mailer-2", "emails", List.of(JOB)));

    assertThat(seen).containsExactly("mailer", "mailer-2");
  }
}
