package dev.workqueue.metrics.micrometer;

/**
 * Keeps the {@code queue_length{queue}} gauges in step with a backend: a background thread named
 * {@code workqueue-metrics-queue-length} reads every queue's stats once per interval. Started by
 * {@link MicrometerQueueObserver#startQueueLengthUpdater(dev.workqueue.spi.QueueBackend)}.
 */
public interface QueueLengthUpdater extends AutoCloseable {

  /**
   * Reads the backend now and updates the gauges, on the calling thread. A backend failure is
   * logged (at most every few seconds) and leaves the previous values in place.
   */
  void refresh();

  /**
   * Stops the background thread, waiting up to 5 seconds for a refresh under way; the gauges keep
   * their last values. Does not close the backend. Idempotent.
   */
  @Override
  void close();
}
