package dev.workqueue.runner.internal.handler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.workqueue.Job;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class ExecHandlerTest {
  private static final List<Logger> OUTPUT_LOGGERS = List.of(
      (Logger) LoggerFactory.getLogger("dev.workqueue.runner.exec.stdout"),
      (Logger) LoggerFactory.getLogger("dev.workqueue.runner.exec.stderr"));

  @TempDir
  Path dir;

  /** What the command output loggers logged, each line with its MDC as it was logged. */
  private final ListAppender<ILoggingEvent> outputLog = new ListAppender<>() {
    @Override
    protected void append(ILoggingEvent event) {
      event.prepareForDeferredProcessing();
      super.append(event);
    }
  };

  @AfterEach
  void stopCapturing() {
    OUTPUT_LOGGERS.forEach(logger -> logger.detachAppender(outputLog));
    MDC.clear();
  }

  private void captureOutputLog() {
    outputLog.start();
    OUTPUT_LOGGERS.forEach(logger -> logger.addAppender(outputLog));
  }

  /** The captured lines as "stream: message", the stream being the logger's last name. */
  private List<String> outputLines() {
    return outputLog.list.stream().map(event -> event.getLoggerName()
        .substring(event.getLoggerName().lastIndexOf('.') + 1) + ": " + event.getFormattedMessage()).toList();
  }

  private static Job job(String payload, int attempt) {
    Instant now = Instant.now();
    return new Job("job-1", "reports", "high", payload.getBytes(StandardCharsets.UTF_8), attempt, 0, now, now,
        Map.of(), null);
  }

  private static ExecHandler shell(String script, Duration timeout) {
    return new ExecHandler(List.of("/bin/sh", "-c", script), timeout);
  }

  @Test
  void commandGetsThePayloadOnStdinAndTheJobInItsEnvironment() throws Exception {
    Path out = dir.resolve("out.txt");
    String script = "{ cat; echo; "
        + "echo \"$WORKQUEUE_JOB_ID $WORKQUEUE_QUEUE $WORKQUEUE_PRIORITY $WORKQUEUE_ATTEMPT\"; } > " + out;
    shell(script, Duration.ofSeconds(30)).handle(job("hello payload", 3));

    assertThat(Files.readAllLines(out)).containsExactly("hello payload", "job-1 reports high 3");
  }

  @Test
  void aPayloadLargerThanAPipeBufferReachesTheCommandByteForByte() throws Exception {
    byte[] payload = new byte[3 * 1024 * 1024 + 17];
    new Random(42).nextBytes(payload);
    Instant now = Instant.now();
    Job job = new Job("job-2", "reports", "high", payload, 1, 0, now, now, Map.of(), null);
    Path out = dir.resolve("payload.bin");

    shell("cat > " + out, Duration.ofSeconds(30)).handle(job);

    assertThat(Files.readAllBytes(out)).isEqualTo(payload);
  }

  @Test
  void nonZeroExitFailsTheAttemptWithTheExitCodeInTheMessage() {
    assertThatThrownBy(() -> shell("exit 7", Duration.ofSeconds(30)).handle(job("x", 1)))
        .isInstanceOf(CommandFailedException.class)
        .hasMessage("command /bin/sh failed with exit code 7");
  }

  @Test
  void aCommandThatCannotRunSaysWhyInTheFailure() throws Exception {
    Path notExecutable = Files.writeString(dir.resolve("script.sh"), "echo hi\n");

    assertThatThrownBy(() -> new ExecHandler(List.of(dir.resolve("missing").toString()),
            Duration.ofSeconds(30)).handle(job("x", 1)))
        .isInstanceOf(CommandFailedException.class).hasMessageEndingWith("(command not found)");
    assertThatThrownBy(() -> new ExecHandler(List.of(notExecutable.toString()), Duration.ofSeconds(30))
            .handle(job("x", 1)))
        .isInstanceOf(CommandFailedException.class).hasMessageEndingWith("(found but not executable)");
  }

  /**
   * The lines of concurrent commands were written straight to the runner's stdout and stderr, with
   * nothing to tell their jobs apart, and broke the one-object-per-line JSON log.
   */
  @Test
  void eachLineACommandWritesIsLoggedWithTheJobsLogContext() throws Exception {
    captureOutputLog();
    MDC.put("job_id", "job-1");
    shell("echo first; echo second >&2; printf 'last, unterminated'", Duration.ofSeconds(30))
        .handle(job("x", 1));
    MDC.clear();

    await().atMost(Duration.ofSeconds(30)).until(() -> outputLog.list.size() == 3);
    assertThat(outputLines())
        .containsExactlyInAnyOrder("stdout: first", "stderr: second", "stdout: last, unterminated");
    assertThat(outputLog.list).allSatisfy(line -> {
      assertThat(line.getLevel()).hasToString("INFO");
      assertThat(line.getMDCPropertyMap()).containsEntry("job_id", "job-1");
    });
  }

  @Test
  void aLineOverTheBoundIsReportedInsteadOfLogged() throws Exception {
    captureOutputLog();
    shell("head -c " + (ExecHandler.MAX_LINE_CHARS + 1) + " /dev/zero | tr '\\0' a; echo; echo after",
        Duration.ofSeconds(30)).handle(job("x", 1));

    await().atMost(Duration.ofSeconds(30)).until(() -> outputLog.list.size() == 2);
    assertThat(outputLines()).containsExactly(
        "stdout: (a line of more than " + ExecHandler.MAX_LINE_CHARS + " characters, not logged)",
        "stdout: after");
  }

  /** The job ends with its command even though a process it left behind still holds the output. */
  @Test
  void aProcessLeftInTheBackgroundWithTheOutputOpenDoesNotHoldTheJob() throws Exception {
    captureOutputLog();
    Path pidFile = dir.resolve("background.pid");
    try {
      assertTimeoutPreemptively(Duration.ofSeconds(60), () -> shell(
          "sleep 120 & echo $! > " + pidFile + "; echo started", Duration.ofSeconds(30)).handle(job("x", 1)));
      await().atMost(Duration.ofSeconds(30)).until(() -> outputLines().contains("stdout: started"));
    } finally {
      ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).ifPresent(ProcessHandle::destroy);
    }
  }

  @Test
  void commandThatIgnoresALargePayloadIsJudgedByItsExitCodeOnly() throws Exception {
    shell("exit 0", Duration.ofSeconds(30)).handle(job("x".repeat(1 << 20), 1));
  }

  @Test
  void commandPastTheTimeoutIsKilledWithItsChildren() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    ExecHandler handler = shell("sleep 120 & echo $! > " + pidFile + "; wait", Duration.ofMillis(500));

    assertThatThrownBy(() -> handler.handle(job("x", 1)))
        .isInstanceOf(CommandFailedException.class)
        .hasMessage("command /bin/sh timed out after 500ms and was killed");
    long child = Long.parseLong(Files.readString(pidFile).trim());
    await().atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(child).map(process -> !process.isAlive()).orElse(true));
  }

  /** A daemon started from a subshell is orphaned at once: it is no descendant of the command. */
  @Test
  void commandPastTheTimeoutIsKilledWithTheChildrenItOrphaned() throws Exception {
    Path pidFile = dir.resolve("orphan.pid");
    ExecHandler handler = shell("(sleep 120 & echo $! > " + pidFile + "); sleep 120",
        Duration.ofMillis(500));

    assertThatThrownBy(() -> handler.handle(job("x", 1))).isInstanceOf(CommandFailedException.class);
    long orphan = Long.parseLong(Files.readString(pidFile).trim());
    await().atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(orphan).map(process -> !process.isAlive()).orElse(true));
  }

  /**
   * Ctrl-C in a terminal sends SIGINT to the whole foreground process group: the commands must not
   * be in the runner's, or they die at once and fail their jobs instead of finishing in the drain.
   */
  @Test
  void commandRunsInAProcessGroupOfItsOwn() throws Exception {
    Path out = dir.resolve("stat.txt");
    shell("cat /proc/$$/stat > " + out, Duration.ofSeconds(30)).handle(job("x", 1));

    assertThat(processGroup(Files.readString(out)))
        .isNotEqualTo(processGroup(Files.readString(Path.of("/proc/self/stat"))));
  }

  /** Field 5 of /proc/PID/stat, counted after the command name, which may hold spaces. */
  private static String processGroup(String stat) {
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2];
  }

  @Test
  void runnerSettingsAreNotPassedToCommands() throws Exception {
    Path out = dir.resolve("env.txt");
    shell("env > " + out, Duration.ofSeconds(30)).handle(job("x", 1));

    assertThat(Files.readAllLines(out)).filteredOn(line -> line.startsWith("WORKQUEUE_"))
        .extracting(line -> line.substring(0, line.indexOf('=')))
        .containsExactlyInAnyOrder(
            "WORKQUEUE_JOB_ID", "WORKQUEUE_QUEUE", "WORKQUEUE_PRIORITY", "WORKQUEUE_ATTEMPT");
  }
}
