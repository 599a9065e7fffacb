package dev.workqueue.runner.internal.handler;

import dev.workqueue.Job;
import dev.workqueue.JobHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs each job's lane and payload size (never the payload) and succeeds; the job's id, queue and
 * attempt end the line, from the MDC that the consumer fills.
 */
final class LogHandler implements JobHandler {
  private static final Logger log = LoggerFactory.getLogger(LogHandler.class);

  @Override
  public void handle(Job job) {
    log.info("job handled priority={} payload={} bytes", job.priority(), job.payloadSize());
  }
}
