package dev.workqueue.metrics.micrometer;

/**
 * Keeps the {@code queue_length{queue}} gauges in step with a backend: a background thread named
 * {@code workqueue-metrics-queue-length} reads every queue's stats once per interval. Started by
 * {@link MicrometerQueueObserver#startQueueLengthUpdater(dev.workqueue.spi.QueueBackend)}.
 */
public interface QueueLengthUpdater extends AutoCloseable {

  /**
   * Reads the backend now and updates the gauges, on the calling thread. A backend failure is
   * logged (at most every 30 seconds) and leaves the previous values in place: of every queue
   * when the list of queues cannot be read, else of the tag values whose queues' stats could not
   * be read, while the others are updated.
   *
   * @throws IllegalStateException if this updater is closed
   */
  void refresh();

  /**
   * Stops the background thread, waiting up to 5 seconds for a refresh under way, and takes this
   * updater's readings out of the gauges (a tag value it alone reported drops to 0); a read still
   * under way when this returns is discarded. Does not close the backend. Idempotent.
   */
  @Override
  void close();
}
