package dev.workqueue.metrics.internal;

import dev.workqueue.internal.NamedThreads;
import dev.workqueue.internal.RateLimitedWarning;
import dev.workqueue.metrics.internal.QueueLengthGauges.Counts;
import dev.workqueue.metrics.micrometer.QueueLengthUpdater;
import dev.workqueue.spi.QueueBackend;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes the {@code queue_length}, {@code queue_delayed}, {@code queue_in_flight} and {@code
 * queue_dead_letters} gauges from a backend's stats on a named background thread.
 */
public final class ScheduledQueueLengthUpdater implements QueueLengthUpdater {
  private static final Logger log = LoggerFactory.getLogger(ScheduledQueueLengthUpdater.class);

  private final QueueBackend backend;
  private final QueueLengthGauges gauges;
  private final QueueTagFolder folder;
  /** Tag values this updater has reported, so one no longer in the backend is set back to 0. */
  private final Set<String> reportedTags = ConcurrentHashMap.newKeySet();
  private final RateLimitedWarning failureWarning = new RateLimitedWarning(Duration.ofSeconds(30));
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(NamedThreads.single("metrics", "queue-length"));
  /** Held while readings are written or taken out, so that none is written after close(). */
  private final Object gaugesLock = new Object();
  /** Numbers reads in the order they start, so that an older read never overwrites a newer one. */
  private final AtomicLong readsStarted = new AtomicLong();
  /** The number of the read whose readings were written last; guarded by {@link #gaugesLock}. */
  private long lastReadWritten;
  private volatile boolean closed;
  /** Set as close() begins: the read it interrupts then fails, and that is no failure to report. */
  private volatile boolean closing;

  private ScheduledQueueLengthUpdater(QueueBackend backend, QueueLengthGauges gauges, QueueTagFolder folder) {
    this.backend = backend;
    this.gauges = gauges;
    this.folder = folder;
  }

  /** Creates the updater and schedules its first refresh immediately, then every {@code interval}. */
  public static ScheduledQueueLengthUpdater start(QueueBackend backend, QueueLengthGauges gauges,
      QueueTagFolder folder, Duration interval) {
    ScheduledQueueLengthUpdater updater = new ScheduledQueueLengthUpdater(backend, gauges, folder);
    updater.scheduler.scheduleWithFixedDelay(
        updater::updateInBackground, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    return updater;
  }

  @Override
  public void refresh() {
    if (closed) {
      throw new IllegalStateException("queue length updater is closed");
    }
    update();
  }

  /**
   * The scheduled task: a task of a scheduled executor that throws is never run again, silently, so
   * an error (a backend's {@code LinkageError}, {@code StackOverflowError}…) is logged like any
   * other failure and the next refresh tries again.
   */
  private void updateInBackground() {
    try {
      update();
    } catch (Throwable e) {
      warnUnlessClosing("could not refresh queue lengths: {}", e.toString());
    }
  }

  private void warnUnlessClosing(String format, Object... arguments) {
    if (!closing) {
      failureWarning.warn(log, format, arguments);
    }
  }

  /**
   * Reads every queue's stats. A queue whose stats cannot be read (its Cluster shard is down, say)
   * leaves the last values of its tag in place while every other tag is updated; a failure is
   * logged at most every 30 seconds.
   */
  private void update() {
    try {
      long read = readsStarted.incrementAndGet();
      Map<String, Counts> countsByTag = new HashMap<>();
      Set<String> unreadTags = new HashSet<>();
      RuntimeException failure = null;
      int unreadQueues = 0;
      for (String queue : backend.queues()) {
        String tag = folder.tagFor(queue);
        try {
          countsByTag.merge(tag, Counts.of(backend.stats(queue)), Counts::plus);
        } catch (RuntimeException e) {
          unreadTags.add(tag);
          unreadQueues++;
          failure = e;
        }
      }
      // A folded tag's sum without one of its queues would be too low: it keeps its last value.
      countsByTag.keySet().removeAll(unreadTags);
      synchronized (gaugesLock) {
        // A read that outlived close() (a backend slower than its wait, or refresh() on another
        // thread) must not put readings back that close() took out: nothing would remove them.
        if (closed) {
          return;
        }
        // A scheduled read and refresh() calls may overlap: one that started earlier but finished
        // later holds older figures.
        if (read < lastReadWritten) {
          return;
        }
        lastReadWritten = read;
        countsByTag.forEach((tag, counts) -> gauges.set(this, tag, counts));
        // A queue the backend no longer reports holds no jobs; keep its series at 0.
        for (String tag : reportedTags) {
          if (!countsByTag.containsKey(tag) && !unreadTags.contains(tag)) {
            gauges.set(this, tag, Counts.NONE);
          }
        }
        reportedTags.addAll(countsByTag.keySet());
      }
      if (failure != null) {
        warnUnlessClosing("could not read the stats of {} queues, whose gauges keep their last "
            + "values: {}", unreadQueues, failure.toString());
      }
    } catch (RuntimeException e) {
      warnUnlessClosing("could not refresh queue lengths: {}", e.toString());
    }
  }

  @Override
  public void close() {
    closing = true;
    scheduler.shutdownNow();
    try {
      // A refresh under way finishes first, so none reads the backend after close() returned.
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (gaugesLock) {
      closed = true;
      gauges.remove(this);
    }
  }
}
