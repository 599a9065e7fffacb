package dev.workqueue.runner.internal;

import dev.workqueue.QueueException;

/**
 * The backend refused the runner when it started, for a reason waiting cannot end (a wrong
 * password, a TLS certificate the client rejects): the configuration or the server must change.
 * Reported with the exit status of a configuration error; the backend's exception is the cause.
 */
public final class BackendRefusedException extends QueueException {
  private static final long serialVersionUID = 1L;

  BackendRefusedException(String message, QueueException cause) {
    super(message, cause);
  }
}
