package dev.workqueue.runner.internal.command;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.EnqueueResult;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.internal.Names;
import dev.workqueue.internal.Problems;
import dev.workqueue.runner.internal.Components;
import dev.workqueue.runner.internal.JobLines;
import dev.workqueue.runner.internal.LineReader;
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
      throw new UsageException("enqueue needs a Redis (" + RunnerConfig.REDIS_KEYS + "): jobs put "
          + "into the in-memory backend of this short-lived process would be lost");
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
          out.println(describe(producer.enqueue(single)));
        } catch (BackendUnavailableException e) {
          if (!mayHaveBeenStored(e)) {
            throw e;
          }
          reportMaybeEnqueued(err, "", e, "sending it again", "it has an --idempotency-key");
          err.flush();
          return ExitCodes.FAILURE;
        }
        out.flush();
        return ExitCodes.OK;
      }
      return enqueueLines(producer, served, out, err);
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

  private int enqueueLines(Producer producer, Lanes served, PrintWriter out, PrintWriter err)
      throws IOException {
    LineReader in = new LineReader(new InputStreamReader(System.in, StandardCharsets.UTF_8),
        JobLines.MAX_LINE_CHARS);
    int number = 0;
    int enqueued = 0;
    int rejected = 0;
    boolean allRead = false;
    try {
      for (LineReader.Line line = in.next(); line != null; line = in.next()) {
        number++;
        if (line.tooLong()) {
          err.printf("line %d: must be at most %d characters, but was longer%n", number,
              JobLines.MAX_LINE_CHARS);
          rejected++;
          continue;
        }
        if (line.text().isBlank()) {
          continue;
        }
        try {
          NewJob job = JobLines.parse(line.text());
          String jobQueue = job.queue() != null ? job.queue() : queue != null ? queue : served.queue();
          if (job.priority() != null && !served.includes(jobQueue, job.priority())) {
            throw new IllegalArgumentException("priority must be " + served.rule() + ", but was \""
                + job.priority() + "\"");
          }
          out.println(describe(producer.enqueue(job)));
          enqueued++;
        } catch (BackendUnavailableException e) {
          if (mayHaveBeenStored(e)) {
            reportMaybeEnqueued(err, "line " + number + ": ", e, "re-sending from this line",
                "the line has an idempotency_key");
          } else {
            err.printf("line %d: not enqueued, backend unavailable: %s%n", number,
                Redaction.redactUrl(e.getMessage()));
          }
          return ExitCodes.FAILURE;
        } catch (IllegalArgumentException | QueueException e) {
          err.printf("line %d: %s%n", number, e.getMessage());
          rejected++;
        }
      }
      allRead = true;
      return rejected == 0 ? ExitCodes.OK : ExitCodes.FAILURE;
    } finally {
      // Also after a failure that ends the command: the caller needs to know where to resume.
      out.flush();
      err.printf("enqueued %d jobs, rejected %d lines%s%n", enqueued, rejected,
          allRead ? "" : "; stopped at line " + number + ", later lines were not read");
      err.flush();
    }
  }

  private static void reportMaybeEnqueued(PrintWriter err, String where, BackendUnavailableException failure,
      String again, String unless) {
    err.printf("%sbackend unavailable: %s; the job may have been enqueued: %s could enqueue it twice unless "
        + "%s%n", where, Redaction.redactUrl(failure.getMessage()), again, unless);
  }

  /**
   * Whether the job may have been stored although enqueueing failed: when the connection broke
   * while the request was out (a read timed out, a reset); not when no connection could be made,
   * the pool had none to give or Redis replied with an error.
   */
  private static boolean mayHaveBeenStored(BackendUnavailableException failure) {
    // Jedis keeps why it could not connect as suppressed exceptions, so an I/O failure among the
    // causes happened on an open connection.
    for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  private static String describe(EnqueueResult result) {
    return result.created() ? result.jobId()
        : result.jobId() + " (duplicate idempotency key: not enqueued again)";
  }
}
