package dev.workqueue.runner.internal.handler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.workqueue.Consumer;
import dev.workqueue.Job;
import dev.workqueue.JobError;
import dev.workqueue.Producer;
import dev.workqueue.RetryPolicy;
import dev.workqueue.UnrecoverableJobException;
import dev.workqueue.internal.DefaultConsumer;
import dev.workqueue.memory.InMemoryQueueBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class FilesHandlerTest {
  /** A path that does not exist, and the name the handler gives it: its SHA-256 and length. */
  private static final String MISSING = "no-such-dir/gone.txt";
  private static final String MISSING_REFERENCE = "payload sha256:2ce5acc87b4a (20 bytes)";

  private static final List<Logger> LOGGERS = List.of((Logger) LoggerFactory.getLogger(FilesHandler.class),
      (Logger) LoggerFactory.getLogger(DefaultConsumer.class));

  @TempDir
  Path dir;

  /** What the handler and the consumer engine logged. */
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();

  @AfterEach
  void stopCapturing() {
    LOGGERS.forEach(logger -> logger.detachAppender(log));
  }

  private void captureLog() {
    log.start();
    LOGGERS.forEach(logger -> logger.addAppender(log));
  }

  private static Job job(String payload) {
    Instant now = Instant.now();
    return new Job("job-1", "files", "default", payload.getBytes(StandardCharsets.UTF_8), 1, 0,
        now, now, Map.of(), null);
  }

  @Test
  void readsTheNamedFileAndLogsItByTheSameDigestOfThePayloadEveryTimeNeverByItsPath() throws Exception {
    Path file = Files.writeString(dir.resolve("payroll-2026.csv"), "x".repeat(5000));
    int payloadBytes = file.toString().getBytes(StandardCharsets.UTF_8).length;
    captureLog();

    new FilesHandler(Duration.ZERO).handle(job(file.toString()));
    new FilesHandler(Duration.ZERO).handle(job(file.toString()));

    List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(lines).hasSize(2).allSatisfy(line -> assertThat(line)
        .matches("processed the file of payload sha256:[0-9a-f]{12} \\(" + payloadBytes
            + " bytes\\): 5000 bytes, crc32 [0-9a-f]+")
        .doesNotContain("payroll"));
    assertThat(lines.get(1)).isEqualTo(lines.get(0));
  }

  @Test
  void aMissingFileFailsTheAttemptWithAMessageThatNamesItByDigest() {
    assertThatThrownBy(() -> new FilesHandler(Duration.ZERO).handle(job(MISSING)))
        .isExactlyInstanceOf(IOException.class)
        .hasMessage("cannot read the file of " + MISSING_REFERENCE + ": no such file or directory")
        .hasNoCause();
  }

  @Test
  void aPayloadThatIsNoPathIsUnrecoverableAndNotQuoted() {
    assertThatThrownBy(() -> new FilesHandler(Duration.ZERO).handle(job("payroll\0.csv")))
        .isInstanceOf(UnrecoverableJobException.class)
        .hasMessageMatching("payload sha256:[0-9a-f]{12} \\(12 bytes\\) is not a file path: .+")
        .hasMessageNotContaining("payroll");
  }

  /** The consumer logs a failed attempt's message, and keeps it with the retry and dead letter. */
  @Test
  void aMissingFilesPathReachesNeitherTheConsumersLogNorTheDeadLetter() {
    Path missing = dir.resolve("payroll-2026.csv");
    captureLog();
    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create();
        Producer producer = Producer.builder(backend).build();
        Consumer consumer = Consumer.builder(backend, new FilesHandler(Duration.ZERO))
            .fetchWait(Duration.ofMillis(100))
            .retryPolicy(RetryPolicy.builder().maxAttempts(2).initialBackoff(Duration.ofMillis(10)).build())
            .build()) {
      producer.enqueue(missing.toString());
      consumer.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> backend.stats(Producer.DEFAULT_QUEUE).dead() == 1);

      JobError error = backend.peekDead(Producer.DEFAULT_QUEUE, 1).get(0).error();
      assertThat(error.message()).startsWith("cannot read the file of payload sha256:")
          .endsWith(": no such file or directory").doesNotContain("payroll");
    }
    assertThat(log.list).filteredOn(line -> line.getLevel().isGreaterOrEqual(Level.WARN))
        .extracting(ILoggingEvent::getFormattedMessage).hasSize(2)
        .allSatisfy(line -> assertThat(line).contains("no such file or directory").doesNotContain("payroll"));
  }
}
