package dev.workqueue.internal;

import dev.workqueue.event.CircuitBreakerStateChangedEvent;
import dev.workqueue.event.ConsumerStateChangedEvent;
import dev.workqueue.event.JobDeadLetteredEvent;
import dev.workqueue.event.JobEnqueuedEvent;
import dev.workqueue.event.JobFailedEvent;
import dev.workqueue.event.JobRecoveredEvent;
import dev.workqueue.event.JobRetriedEvent;
import dev.workqueue.event.JobStartedEvent;
import dev.workqueue.event.JobSucceededEvent;
import dev.workqueue.event.JobsFetchedEvent;
import dev.workqueue.spi.QueueObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards each event to several observers, each call guarded: a {@link Throwable} from one
 * observer is logged (once per observer and event kind) and swallowed.
 */
public final class CompositeObserver implements QueueObserver {
  private static final Logger log = LoggerFactory.getLogger(CompositeObserver.class);

  private final QueueObserver[] observers;
  private final Set<String> reported = ConcurrentHashMap.newKeySet();

  private CompositeObserver(List<? extends QueueObserver> observers) {
    this.observers = observers.toArray(QueueObserver[]::new);
  }

  /** A guarded composite of {@code observers}; a single composite is returned unwrapped. */
  public static QueueObserver of(List<? extends QueueObserver> observers) {
    if (observers.size() == 1 && observers.get(0) instanceof CompositeObserver composite) {
      return composite;
    }
    return new CompositeObserver(List.copyOf(observers));
  }

  private <E> void publish(String kind, E event, BiConsumer<QueueObserver, E> call) {
    for (QueueObserver observer : observers) {
      try {
        call.accept(observer, event);
      } catch (Throwable failure) {
        reportFailure(observer, kind, failure);
      }
    }
  }

  private void reportFailure(QueueObserver observer, String kind, Throwable failure) {
    if (reported.add(observer.getClass().getName() + '#' + kind)) {
      log.warn("observer {} failed on {}; further failures of this kind are not logged",
          observer.getClass().getName(), kind, failure);
    }
  }

  // The events of every job call the observers directly rather than through publish: its
  // call.accept site serves every kind of event, so the JIT cannot inline through it, and each job
  // would pay an indirect call and keep its event objects on the heap.

  @Override
  public void onEnqueuedBatch(List<JobEnqueuedEvent> events) {
    for (QueueObserver observer : observers) {
      try {
        observer.onEnqueuedBatch(events);
      } catch (Throwable failure) {
        reportFailure(observer, "enqueued", failure);
      }
    }
  }

  @Override
  public void onEnqueued(JobEnqueuedEvent event) {
    publish("enqueued", event, QueueObserver::onEnqueued);
  }

  @Override
  public void onFetched(JobsFetchedEvent event) {
    publish("fetched", event, QueueObserver::onFetched);
  }

  @Override
  public void onStarted(JobStartedEvent event) {
    for (QueueObserver observer : observers) {
      try {
        observer.onStarted(event);
      } catch (Throwable failure) {
        reportFailure(observer, "started", failure);
      }
    }
  }

  @Override
  public void onSucceeded(JobSucceededEvent event) {
    for (QueueObserver observer : observers) {
      try {
        observer.onSucceeded(event);
      } catch (Throwable failure) {
        reportFailure(observer, "succeeded", failure);
      }
    }
  }

  @Override
  public void onFailed(JobFailedEvent event) {
    publish("failed", event, QueueObserver::onFailed);
  }

  @Override
  public void onRetried(JobRetriedEvent event) {
    publish("retried", event, QueueObserver::onRetried);
  }

  @Override
  public void onDeadLettered(JobDeadLetteredEvent event) {
    publish("dead-lettered", event, QueueObserver::onDeadLettered);
  }

  @Override
  public void onRecovered(JobRecoveredEvent event) {
    publish("recovered", event, QueueObserver::onRecovered);
  }

  @Override
  public void onConsumerStateChanged(ConsumerStateChangedEvent event) {
    publish("consumer-state", event, QueueObserver::onConsumerStateChanged);
  }

  @Override
  public void onCircuitBreakerStateChanged(CircuitBreakerStateChangedEvent event) {
    publish("circuit-breaker-state", event, QueueObserver::onCircuitBreakerStateChanged);
  }
}
