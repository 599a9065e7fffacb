package dev.workqueue.runner.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Closes what the runner owns during shutdown, where one failure must not stop the rest. */
final class Closeables {
  private static final Logger log = LoggerFactory.getLogger(Closeables.class);

  private Closeables() {}

  /** Closes {@code closeable} unless it is null; a failure is logged as a warning, not thrown. */
  static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      log.warn("closing {} failed: {}", closeable.getClass().getSimpleName(), e.toString());
    }
  }
}
