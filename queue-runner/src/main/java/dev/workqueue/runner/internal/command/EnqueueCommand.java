package dev.workqueue.runner.internal.command;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.EnqueueResult;
import dev.workqueue.InvalidJobException;
import dev.workqueue.NewJob;
import dev.workqueue.PayloadTooLargeException;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.internal.Names;
import dev.workqueue.internal.Problems;
import dev.workqueue.redis.NotReplicatedException;
import dev.workqueue.runner.internal.Components;
import dev.workqueue.runner.internal.JobLines;
import dev.workqueue.runner.internal.LineReader;
import dev.workqueue.runner.internal.RunnerProcess;
import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.Redaction;
import dev.workqueue.runner.internal.config.RunnerConfig;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code enqueue}: one job from options, or one job per NDJSON line on stdin. */
@Command(name = "enqueue", mixinStandardHelpOptions = true,
    description = {"Enqueues one job given by --payload, or, without --payload, one job per line of "
        + "NDJSON on stdin: {\"payload\": ..., \"queue\": ..., \"priority\": ..., \"delay\": \"30s\", "
        + "\"run_at\": ..., \"id\": ..., \"idempotency_key\": ..., \"max_attempts\": 3, \"headers\": {}}.",
        "Prints the id of each job on stdout; a bad line is reported on stderr with its number and "
            + "the others are still enqueued (exit status 1 if any line was rejected). Needs redis.url."})
final class EnqueueCommand implements Callable<Integer> {
  @Mixin
  ConfigOption config;

  @Option(names = {"-q", "--queue"}, paramLabel = "QUEUE",
      description = "Queue; default queue.name. Lines may name their own.")
  String queue;

  @Option(names = {"-p", "--priority"}, paramLabel = "PRIORITY",
      description = "Priority; default producer.default_priority. Lines may name their own.")
  String priority;

  @Option(names = "--payload", paramLabel = "TEXT", description = "The payload, as UTF-8 text.")
  String payload;

  @Option(names = "--delay", paramLabel = "DURATION",
      description = "Runs the job after this delay, such as 30s.")
  String delay;

  @Option(names = "--id", paramLabel = "ID", description = "Job id; default generated.")
  String id;

  @Option(names = "--idempotency-key", paramLabel = "KEY",
      description = "A second enqueue with the same key is a no-op while the first job is known.")
  String idempotencyKey;

  @Option(names = "--max-attempts", paramLabel = "N", description = "Deliveries before dead-lettering.")
  Integer maxAttempts;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    RunnerConfig loaded = config.load();
    if (!loaded.usesRedis()) {
      throw UsageException.needsRedis("enqueue",
          "jobs put into the in-memory backend of this short-lived process would be lost");
    }
    Lanes served = new Lanes(loaded.get(ConfigKeys.QUEUE_NAME), loaded.get(ConfigKeys.QUEUE_PRIORITIES));
    String targetQueue = queue != null ? queue : served.queue();
    String targetPriority =
        priority != null ? priority : loaded.get(ConfigKeys.PRODUCER_DEFAULT_PRIORITY);
    Problems problems = new Problems("enqueue options")
        .check(Names.isValid(targetQueue), "--queue", Names.RULE, targetQueue)
        .check(Names.isValid(targetPriority), "--priority", Names.RULE, targetPriority);
    if (Names.isValid(targetPriority) && !served.includes(targetQueue, targetPriority)) {
      problems.check(false, "--priority", served.rule(), targetPriority);
    }
    OptionChecks.throwIfAny(problems);
    NewJob single = payload == null ? null : singleJob();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (Components components = Components.uninstrumented(loaded);
        Producer producer = components.producerBuilder()
            .defaultQueue(targetQueue)
            .defaultPriority(targetPriority)
            .build()) {
      if (single != null) {
        try {
          print(producer.enqueue(single), single, targetQueue, "", out, err);
        } catch (BackendUnavailableException e) {
          if (!mayHaveBeenStored(e)) {
            throw e;
          }
          reportMaybeEnqueued(err, "", e, "sending it again", "it has an --id or an --idempotency-key");
          err.flush();
          return ExitCodes.FAILURE;
        }
        out.flush();
        return ExitCodes.OK;
      }
      // Long enough for a job that is out to the backend to come back when a signal arrives.
      Duration longestRequest = loaded.get(ConfigKeys.REDIS_CONNECT_TIMEOUT)
          .plus(loaded.get(ConfigKeys.REDIS_SOCKET_TIMEOUT)).plusSeconds(1);
      return enqueueLines(producer, served, longestRequest, out, err);
    }
  }

  /**
   * The queue and priorities the configured workers serve: a job for that queue must name one of
   * them, or no worker would ever take it. Other queues are served by workers configured elsewhere.
   */
  private record Lanes(String queue, List<String> priorities) {
    boolean includes(String jobQueue, String jobPriority) {
      return !jobQueue.equals(queue) || priorities.contains(jobPriority);
    }

    String rule() {
      return "one of queue.priorities " + priorities;
    }
  }

  private NewJob singleJob() {
    Problems problems = new Problems("enqueue options");
    Duration after = null;
    if (delay != null) {
      try {
        after = JobLines.delay(delay);
      } catch (IllegalArgumentException e) {
        problems.check(false, "--delay", JobLines.DELAY_RULE, delay);
      }
    }
    if (maxAttempts != null) {
      problems.atLeast(maxAttempts, 1, "--max-attempts");
    }
    OptionChecks.throwIfAny(problems);
    NewJob.Builder job = NewJob.builder(payload).id(id).idempotencyKey(idempotencyKey);
    if (after != null) {
      job.delay(after);
    }
    if (maxAttempts != null) {
      job.maxAttempts(maxAttempts);
    }
    return job.build();
  }

  private int enqueueLines(Producer producer, Lanes served, Duration longestRequest, PrintWriter out,
      PrintWriter err) throws IOException {
    LineReader in = new LineReader(new InputStreamReader(System.in, StandardCharsets.UTF_8),
        JobLines.MAX_LINE_CHARS);
    Progress progress = new Progress(out, err);
    Thread hook = new Thread(() -> progress.stopOnSignal(longestRequest), "workqueue-runner-enqueue-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    String stop = null;
    boolean allRead = false;
    int status = ExitCodes.FAILURE;
    try {
      for (LineReader.Line line = in.next(); line != null; line = in.next()) {
        if (!progress.nextLine()) {
          stop = Progress.STOPPED_BY_SIGNAL + " after line " + progress.line()
              + ", later lines were not read";
          return ExitCodes.FAILURE;
        }
        if (line.tooLong()) {
          err.printf("line %d: must be at most %d characters, but was longer%n", progress.line(),
              JobLines.MAX_LINE_CHARS);
          progress.rejected();
          continue;
        }
        if (line.text().isBlank()) {
          continue;
        }
        try {
          NewJob job = JobLines.parse(line.text());
          String jobQueue = job.queue() != null ? job.queue() : queue != null ? queue : served.queue();
          if (job.priority() != null && !served.includes(jobQueue, job.priority())) {
            throw new IllegalArgumentException("priority must be " + served.rule() + ", but was "
                + Problems.describe(job.priority()));
          }
          progress.sending(true);
          print(producer.enqueue(job), job, jobQueue, "line " + progress.line() + ": ", out, err);
          progress.enqueued();
        } catch (IllegalArgumentException | InvalidJobException | PayloadTooLargeException e) {
          err.printf("line %d: %s%n", progress.line(), e.getMessage());
          progress.rejected();
        } catch (QueueException e) {
          // Not the line's fault: the backend cannot be reached or refuses the request (OOM at
          // maxmemory, a password that no longer works), so every later line would fail alike.
          if (e instanceof BackendUnavailableException unavailable && mayHaveBeenStored(unavailable)) {
            reportMaybeEnqueued(err, "line " + progress.line() + ": ", unavailable,
                "re-sending from this line", "the line has an id or an idempotency_key");
          } else {
            err.printf("line %d: not enqueued, %s%n", progress.line(), RunnerProcess.backendFailure(e));
          }
          return ExitCodes.FAILURE;
        } finally {
          progress.sending(false);
        }
      }
      allRead = true;
      status = progress.rejectedAny() ? ExitCodes.FAILURE : ExitCodes.OK;
      return status;
    } finally {
      // Also after a failure that ends the command: the caller needs to know where to resume.
      progress.report(stop != null ? stop : allRead ? ""
          : "; stopped at line " + progress.line() + ", later lines were not read", status);
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // A signal is being handled; its hook found the summary printed.
      }
    }
  }

  /**
   * What the NDJSON loop has done, shared with a shutdown hook: on SIGTERM or SIGINT the loop
   * stops before its next line and the summary still says where to resume, with exit status 1.
   * Without the hook the JVM ended the command mid-loop, with status 143 and no summary.
   */
  private static final class Progress {
    static final String STOPPED_BY_SIGNAL = "; stopped by SIGTERM/SIGINT";

    private final PrintWriter out;
    private final PrintWriter err;
    private int line;
    private int enqueued;
    private int rejected;
    private boolean sending;
    private boolean stopRequested;
    private boolean reported;
    private int exitStatus;

    Progress(PrintWriter out, PrintWriter err) {
      this.out = out;
      this.err = err;
    }

    /** Counts the next line; false, counting nothing, once a signal asked to stop. */
    synchronized boolean nextLine() {
      if (stopRequested) {
        return false;
      }
      line++;
      return true;
    }

    synchronized int line() {
      return line;
    }

    synchronized void sending(boolean now) {
      sending = now;
      notifyAll();
    }

    synchronized void enqueued() {
      enqueued++;
    }

    synchronized void rejected() {
      rejected++;
    }

    synchronized boolean rejectedAny() {
      return rejected > 0;
    }

    /**
     * Prints the summary, once; {@code stop} says where and why reading stopped, if it did, and
     * {@code status} is what the command exits with.
     */
    synchronized void report(String stop, int status) {
      if (!reported) {
        reported = true;
        exitStatus = status;
        out.flush();
        err.printf("enqueued %d jobs, rejected %d lines%s%n", enqueued, rejected, stop);
        err.flush();
      }
    }

    /**
     * Runs in the shutdown hook: lets the job being sent, if any, come back for up to
     * {@code wait} (the loop may be blocked reading stdin instead, which no signal ends), prints
     * the summary unless the loop did, and ends the process with status 1 (or the loop's, if
     * it had read every line).
     */
    void stopOnSignal(Duration wait) {
      synchronized (this) {
        stopRequested = true;
        long deadline = System.nanoTime() + wait.toNanos();
        try {
          while (sending && deadline - System.nanoTime() > 0) {
            TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        report(STOPPED_BY_SIGNAL + (sending ? " at line " + line + ", which may have been enqueued;"
            : " after line " + line + ",") + " later lines were not read", ExitCodes.FAILURE);
      }
      Runtime.getRuntime().halt(exitStatus);
    }
  }

  private static void reportMaybeEnqueued(PrintWriter err, String where, BackendUnavailableException failure,
      String again, String unless) {
    err.printf("%sbackend unavailable: %s; the job may have been enqueued: %s could enqueue it twice unless "
        + "%s%n", where, Redaction.redactUrl(failure.getMessage()), again, unless);
  }

  /**
   * Whether the job may have been stored although enqueueing failed: when the connection broke
   * while the request was out (a read timed out, a reset), or it is stored but no replica
   * acknowledged it in time; not when no connection could be made, the pool had none to give or
   * Redis replied with an error.
   */
  private static boolean mayHaveBeenStored(BackendUnavailableException failure) {
    if (failure instanceof NotReplicatedException) {
      return true;
    }
    // Jedis keeps why it could not connect as suppressed exceptions, so an I/O failure among the
    // causes happened on an open connection.
    for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  /** The job's id on stdout, alone; why a known job was not enqueued again on stderr. */
  private static void print(EnqueueResult result, NewJob job, String queue, String where, PrintWriter out,
      PrintWriter err) {
    out.println(result.jobId());
    if (!result.created()) {
      err.printf("%snot enqueued again: %s%n", where, job.idempotencyKey() != null
          ? "its idempotency key was used before, by job " + result.jobId()
          : "queue " + queue + " already has job " + result.jobId());
    }
  }
}
