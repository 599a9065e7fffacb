package dev.workqueue.runner.internal.handler;

import dev.workqueue.Job;
import dev.workqueue.JobHandler;
import dev.workqueue.internal.NamedThreads;
import dev.workqueue.runner.internal.LineReader;
import dev.workqueue.runner.internal.config.ConfigKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs a command per job: the payload on its stdin, the job's id, queue, priority and attempt in
 * {@code WORKQUEUE_JOB_ID}, {@code WORKQUEUE_QUEUE}, {@code WORKQUEUE_PRIORITY} and
 * {@code WORKQUEUE_ATTEMPT}. Each line it writes on stdout or stderr is logged, at INFO on the
 * loggers {@code dev.workqueue.runner.exec.stdout} and {@code ...stderr}, with the job's MDC, so
 * that the lines of concurrent commands can be told apart and the JSON log stays one object per
 * line. Exit code 0 succeeds, any other fails the attempt. A command past the timeout, or whose
 * job is interrupted, is killed with all its descendants. The runner's own {@code WORKQUEUE_*}
 * settings, which may hold credentials, are removed from the command's environment.
 */
final class ExecHandler implements JobHandler {
  /**
   * setsid(1), where the system has it. A command in a session and process group of its own is out
   * of reach of the signals a terminal's Ctrl-C (or a supervisor that signals a process group) sends
   * to the runner's group: the runner drains its jobs instead of having their commands killed
   * under them. A child of the JVM is never a group leader, so setsid execs the command in its own
   * process instead of forking, and the command's exit status is still the one the handler reads.
   */
  private static final List<String> NEW_SESSION = Stream.of("/usr/bin/setsid", "/bin/setsid")
      .filter(path -> Files.isExecutable(Path.of(path)))
      .limit(1)
      .toList();

  /** Longest line of a command's output that is logged; a longer one is reported, not logged. */
  static final int MAX_LINE_CHARS = 16 * 1024;
  /**
   * How long output may still arrive after the command exited. Normally its pipes end with it; a
   * process it left in the background may hold them open, and the job must not wait for that.
   */
  private static final Duration OUTPUT_DRAIN = Duration.ofMillis(200);
  private static final Logger stdoutLog = LoggerFactory.getLogger("dev.workqueue.runner.exec.stdout");
  private static final Logger stderrLog = LoggerFactory.getLogger("dev.workqueue.runner.exec.stderr");

  private final List<String> command;
  private final List<String> argv;
  private final Duration timeout;

  ExecHandler(List<String> command, Duration timeout) {
    this.command = List.copyOf(command);
    this.argv = Stream.concat(NEW_SESSION.stream(), command.stream()).toList();
    this.timeout = timeout;
  }

  @Override
  public void handle(Job job) throws IOException, InterruptedException, CommandFailedException {
    ProcessBuilder builder = new ProcessBuilder(argv);
    Map<String, String> environment = builder.environment();
    environment.keySet().removeIf(name -> name.startsWith(ConfigKey.ENV_PREFIX));
    environment.put("WORKQUEUE_JOB_ID", job.id());
    environment.put("WORKQUEUE_QUEUE", job.queue());
    environment.put("WORKQUEUE_PRIORITY", job.priority());
    environment.put("WORKQUEUE_ATTEMPT", Integer.toString(job.attempt()));
    Process process = builder.start();
    Map<String, String> logContext = MDC.getCopyOfContextMap();
    start("stdin", job, () -> writePayload(process, job));
    Thread stdout = start("stdout", job, () -> logLines(process.getInputStream(), stdoutLog, logContext));
    Thread stderr = start("stderr", job, () -> logLines(process.getErrorStream(), stderrLog, logContext));
    boolean exited;
    try {
      exited = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (!exited) {
        killTree(process);
      }
    } catch (InterruptedException | RuntimeException e) {
      killTree(process);
      throw e;
    }
    awaitOutput(stdout, stderr);
    if (!exited) {
      throw new CommandFailedException("command " + command.get(0) + " timed out after "
          + timeout.toMillis() + "ms and was killed");
    }
    int exitCode = process.exitValue();
    if (exitCode != 0) {
      throw new CommandFailedException("command " + command.get(0) + " failed with exit code " + exitCode
          + meaningOf(exitCode));
    }
  }

  /**
   * What the shell convention says of {@code exitCode}. Started through setsid, a command that
   * cannot run ends with these codes instead of failing to start, and the reason goes to stderr
   * only: the dead letter still says what to fix.
   */
  private static String meaningOf(int exitCode) {
    return switch (exitCode) {
      case 126 -> " (found but not executable)";
      case 127 -> " (command not found)";
      default -> "";
    };
  }

  /** Starts a daemon thread named {@code workqueue-exec-<stream>-<job id>} for a command stream. */
  private static Thread start(String stream, Job job, Runnable work) {
    Thread thread = NamedThreads.single("exec", stream + "-" + job.id()).newThread(work);
    thread.start();
    return thread;
  }

  /** Logs each line of {@code output} with the job's log context, until the stream ends. */
  private static void logLines(InputStream output, Logger log, Map<String, String> logContext) {
    if (logContext != null) {
      MDC.setContextMap(logContext);
    }
    LineReader lines = new LineReader(new InputStreamReader(output, StandardCharsets.UTF_8), MAX_LINE_CHARS);
    try (output) {
      for (LineReader.Line line = lines.next(); line != null; line = lines.next()) {
        if (line.tooLong()) {
          log.info("(a line of more than {} characters, not logged)", MAX_LINE_CHARS);
        } else {
          log.info("{}", line.text());
        }
      }
    } catch (IOException e) {
      // the pipe closed under the reader: the command was killed
    }
  }

  /** Waits, up to {@link #OUTPUT_DRAIN} in all, for the command's output to be logged. */
  private static void awaitOutput(Thread... relays) throws InterruptedException {
    long deadline = System.nanoTime() + OUTPUT_DRAIN.toNanos();
    for (Thread relay : relays) {
      TimeUnit.NANOSECONDS.timedJoin(relay, deadline - System.nanoTime());
    }
  }

  /**
   * Writes the payload and closes stdin, on its own thread so that a command that never reads a
   * large payload cannot block the worker past the timeout. A command that exits without reading
   * stdin closes the pipe, which is not a failure of the job; only its exit code counts.
   */
  private static void writePayload(Process process, Job job) {
    // Through a channel the payload goes out in chunks instead of as one copy of the whole payload.
    try (WritableByteChannel stdin = Channels.newChannel(process.getOutputStream())) {
      ByteBuffer payload = job.payloadBuffer();
      while (payload.hasRemaining()) {
        stdin.write(payload);
      }
    } catch (IOException brokenPipe) {
      // the command did not read its input; its exit code decides the attempt
    }
  }

  /**
   * Kills the command first, so that a shell cannot go on to its next step once a child dies,
   * then every descendant it had, which would otherwise live on as orphans. In a session of its
   * own the command's whole process group is killed too, which takes the children it orphaned
   * as well: they no longer show among its descendants (a daemon started from a subshell, say).
   */
  private static void killTree(Process process) {
    List<ProcessHandle> descendants = process.descendants().toList();
    Process groupKill = NEW_SESSION.isEmpty() ? null : killProcessGroup(process.pid());
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
    try {
      process.waitFor(5, TimeUnit.SECONDS);
      if (groupKill != null) {
        groupKill.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Sends SIGKILL to a process group, or returns null when no shell could be started for it (the
   * command and its descendants are still killed one by one). Java signals single processes only;
   * the shell's kill takes a negative id for a group.
   */
  private static Process killProcessGroup(long group) {
    try {
      return new ProcessBuilder("/bin/sh", "-c", "kill -KILL -" + group)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      return null;
    }
  }
}
