package dev.workqueue.runner.internal.handler;

import dev.workqueue.Job;
import dev.workqueue.JobHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs each job's id, lane, attempt and payload size (never the payload) and succeeds. */
final class LogHandler implements JobHandler {
  private static final Logger log = LoggerFactory.getLogger(LogHandler.class);

  @Override
  public void handle(Job job) {
    log.info("job {} queue={} priority={} attempt={} payload={} bytes", job.id(), job.queue(),
        job.priority(), job.attempt(), job.payloadSize());
  }
}
