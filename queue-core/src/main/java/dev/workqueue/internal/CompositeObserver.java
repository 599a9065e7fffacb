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
import dev.workqueue.event.JobsEnqueueFailedEvent;
import dev.workqueue.event.JobsFetchedEvent;
import dev.workqueue.spi.QueueObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards each event to several observers, each call guarded: a {@link Throwable} from one
 * observer is logged (once per observer and event kind) and swallowed.
 *
 * <p>For the events that come once per job or batch it also knows which observers override the
 * method: those events go only to them, and {@link #observesEnqueued()}, {@link
 * #observesFetched()}, {@link #observesStarted()} and {@link #observesSucceeded()} let the engine
 * skip building an event nobody handles. A host whose observers ignore an event then pays nothing
 * for it on the hot path, not even a call.
 */
public final class CompositeObserver implements QueueObserver {
  private static final Logger log = LoggerFactory.getLogger(CompositeObserver.class);

  private final QueueObserver[] observers;
  private final QueueObserver[] enqueuedObservers;
  private final QueueObserver[] fetchedObservers;
  private final QueueObserver[] startedObservers;
  private final QueueObserver[] succeededObservers;
  private final Set<String> reported = ConcurrentHashMap.newKeySet();

  private CompositeObserver(List<? extends QueueObserver> observers) {
    this.observers = observers.toArray(QueueObserver[]::new);
    this.enqueuedObservers = select(observers, observer -> overrides(observer, "onEnqueuedBatch",
        List.class) || overrides(observer, "onEnqueued", JobEnqueuedEvent.class));
    this.fetchedObservers =
        select(observers, observer -> overrides(observer, "onFetched", JobsFetchedEvent.class));
    this.startedObservers =
        select(observers, observer -> overrides(observer, "onStarted", JobStartedEvent.class));
    this.succeededObservers = select(observers, observer -> overrides(observer, "onSucceededBatch",
        List.class) || overrides(observer, "onSucceeded", JobSucceededEvent.class));
  }

  /** A guarded composite of {@code observers}; a single composite is returned unwrapped. */
  public static CompositeObserver of(List<? extends QueueObserver> observers) {
    if (observers.size() == 1 && observers.get(0) instanceof CompositeObserver composite) {
      return composite;
    }
    return new CompositeObserver(List.copyOf(observers));
  }

  private static QueueObserver[] select(List<? extends QueueObserver> observers,
      Predicate<QueueObserver> test) {
    return observers.stream().filter(test).toArray(QueueObserver[]::new);
  }

  /** Whether {@code observer}'s class has its own {@code method}, rather than the interface's default. */
  private static boolean overrides(QueueObserver observer, String method, Class<?> parameterType) {
    try {
      return observer.getClass().getMethod(method, parameterType).getDeclaringClass() != QueueObserver.class;
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException("QueueObserver has no method " + method, e);
    }
  }

  /** Whether any observer handles enqueued events; if not, a producer need not build them. */
  public boolean observesEnqueued() {
    return enqueuedObservers.length > 0;
  }

  /** Whether any observer handles fetched events. */
  public boolean observesFetched() {
    return fetchedObservers.length > 0;
  }

  /** Whether any observer handles started events. */
  public boolean observesStarted() {
    return startedObservers.length > 0;
  }

  /** Whether any observer handles succeeded events. */
  public boolean observesSucceeded() {
    return succeededObservers.length > 0;
  }

  private <E> void publish(String kind, E event, BiConsumer<QueueObserver, E> call) {
    publish(observers, kind, event, call);
  }

  private <E> void publish(QueueObserver[] targets, String kind, E event, BiConsumer<QueueObserver, E> call) {
    for (QueueObserver observer : targets) {
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

  @Override
  public void onEnqueuedBatch(List<JobEnqueuedEvent> events) {
    publish(enqueuedObservers, "enqueued", events, QueueObserver::onEnqueuedBatch);
  }

  /** Delivers one event as a batch of one, so that observers overriding only the batch form see it. */
  @Override
  public void onEnqueued(JobEnqueuedEvent event) {
    onEnqueuedBatch(List.of(event));
  }

  @Override
  public void onEnqueueFailed(JobsEnqueueFailedEvent event) {
    publish("enqueue-failed", event, QueueObserver::onEnqueueFailed);
  }

  @Override
  public void onFetched(JobsFetchedEvent event) {
    publish(fetchedObservers, "fetched", event, QueueObserver::onFetched);
  }

  // The events of every job call the observers directly rather than through publish: its
  // call.accept site serves every kind of event, so the JIT cannot inline through it, and each job
  // would pay an indirect call and keep its event objects on the heap.

  @Override
  public void onStarted(JobStartedEvent event) {
    for (QueueObserver observer : startedObservers) {
      try {
        observer.onStarted(event);
      } catch (Throwable failure) {
        reportFailure(observer, "started", failure);
      }
    }
  }

  /** Delivers one event as a batch of one, so that observers overriding only the batch form see it. */
  @Override
  public void onSucceeded(JobSucceededEvent event) {
    onSucceededBatch(List.of(event));
  }

  @Override
  public void onSucceededBatch(List<JobSucceededEvent> events) {
    for (QueueObserver observer : succeededObservers) {
      try {
        observer.onSucceededBatch(events);
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
