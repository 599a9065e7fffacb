package dev.workqueue.runner.internal.handler;

import dev.workqueue.Job;
import dev.workqueue.JobHandler;
import dev.workqueue.UnrecoverableJobException;
import dev.workqueue.runner.internal.FileErrors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo workload: the payload names a file; the handler reads it through, checksums it, and
 * spends {@code workPerKib} per KiB to stand in for real processing. The path is the payload, so
 * neither its log line nor its failures name it: they give the payload's size and the first 12 hex
 * digits of its SHA-256 instead.
 */
final class FilesHandler implements JobHandler {
  private static final Logger log = LoggerFactory.getLogger(FilesHandler.class);

  private final Duration workPerKib;

  FilesHandler(Duration workPerKib) {
    this.workPerKib = workPerKib;
  }

  @Override
  public void handle(Job job) throws IOException, InterruptedException {
    Path file;
    try {
      file = Path.of(job.payloadAsString());
    } catch (InvalidPathException e) {
      // Its message quotes the payload; its reason does not. No retry makes the path valid.
      throw new UnrecoverableJobException(reference(job) + " is not a file path: " + e.getReason());
    }
    CRC32 checksum = new CRC32();
    long size = 0;
    byte[] buffer = new byte[8192];
    try (InputStream in = Files.newInputStream(file)) {
      for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
        checksum.update(buffer, 0, read);
        size += read;
      }
    } catch (IOException e) {
      // The consumer logs this message and keeps it with a retry or dead letter; the cause is
      // left out, as its message names the file, and a span would record it with the stack.
      throw new IOException("cannot read the file of " + reference(job) + ": " + FileErrors.reason(e));
    }
    long workNanos = workPerKib.toNanos() * Math.max(1, (size + 1023) / 1024);
    TimeUnit.NANOSECONDS.sleep(workNanos);
    // The job's id, queue and attempt end the line: the consumer has them in the MDC.
    log.info("processed the file of {}: {} bytes, crc32 {}", reference(job), size,
        Long.toHexString(checksum.getValue()));
  }

  /** The file named without its path: {@code payload sha256:<12 hex digits> (<n> bytes)}. */
  private static String reference(Job job) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
    sha256.update(job.payloadBuffer());
    return "payload sha256:" + HexFormat.of().formatHex(sha256.digest(), 0, 6) + " ("
        + job.payloadSize() + " bytes)";
  }
}
