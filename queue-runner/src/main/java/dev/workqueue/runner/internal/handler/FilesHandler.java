package dev.workqueue.runner.internal.handler;

import dev.workqueue.Job;
import dev.workqueue.JobHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo workload: the payload names a file; the handler reads it through, checksums it, and
 * spends {@code workPerKib} per KiB to stand in for real processing.
 */
final class FilesHandler implements JobHandler {
  private static final Logger log = LoggerFactory.getLogger(FilesHandler.class);

  private final Duration workPerKib;

  FilesHandler(Duration workPerKib) {
    this.workPerKib = workPerKib;
  }

  @Override
  public void handle(Job job) throws IOException, InterruptedException {
    Path file = Path.of(job.payloadAsString());
    CRC32 checksum = new CRC32();
    long size = 0;
    byte[] buffer = new byte[8192];
    try (InputStream in = Files.newInputStream(file)) {
      for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
        checksum.update(buffer, 0, read);
        size += read;
      }
    }
    long workNanos = workPerKib.toNanos() * Math.max(1, (size + 1023) / 1024);
    TimeUnit.NANOSECONDS.sleep(workNanos);
    // The job's id, queue and attempt end the line: the consumer has them in the MDC.
    log.info("processed {} ({} bytes, crc32 {})", file.getFileName(), size,
        Long.toHexString(checksum.getValue()));
  }
}
