package dev.workqueue.runner.internal.handler;

import dev.workqueue.Job;
import dev.workqueue.JobHandler;
import dev.workqueue.runner.internal.config.ConfigKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a command per job: the payload on its stdin, the job's id, queue, priority and attempt in
 * {@code WORKQUEUE_JOB_ID}, {@code WORKQUEUE_QUEUE}, {@code WORKQUEUE_PRIORITY} and
 * {@code WORKQUEUE_ATTEMPT}; its stdout and stderr go to the runner's. Exit code 0 succeeds,
 * any other fails the attempt. A command past the timeout, or whose job is interrupted, is
 * killed with all its descendants. The runner's own {@code WORKQUEUE_*} settings, which may hold
 * credentials, are removed from the command's environment.
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
    ProcessBuilder builder = new ProcessBuilder(argv)
        .redirectOutput(ProcessBuilder.Redirect.INHERIT)
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    Map<String, String> environment = builder.environment();
    environment.keySet().removeIf(name -> name.startsWith(ConfigKey.ENV_PREFIX));
    environment.put("WORKQUEUE_JOB_ID", job.id());
    environment.put("WORKQUEUE_QUEUE", job.queue());
    environment.put("WORKQUEUE_PRIORITY", job.priority());
    environment.put("WORKQUEUE_ATTEMPT", Integer.toString(job.attempt()));
    Process process = builder.start();
    Thread writer = new Thread(() -> writePayload(process, job), "workqueue-exec-stdin-" + job.id());
    writer.setDaemon(true);
    writer.start();
    try {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        killTree(process);
        throw new CommandFailedException("command " + command.get(0) + " timed out after "
            + timeout.toMillis() + "ms and was killed");
      }
    } catch (InterruptedException | RuntimeException e) {
      killTree(process);
      throw e;
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
