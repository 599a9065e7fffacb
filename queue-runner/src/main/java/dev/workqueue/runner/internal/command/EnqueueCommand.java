package dev.workqueue.runner.internal.command;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.EnqueueResult;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.internal.Names;
import dev.workqueue.runner.internal.Components;
import dev.workqueue.runner.internal.JobLines;
import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.Durations;
import dev.workqueue.runner.internal.config.RunnerConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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
      throw new UsageException("enqueue needs redis.url (or WORKQUEUE_REDIS_URL): jobs put into the "
          + "in-memory backend of this short-lived process would be lost");
    }
    String configuredQueue = loaded.get(ConfigKeys.QUEUE_NAME);
    List<String> priorities = loaded.get(ConfigKeys.QUEUE_PRIORITIES);
    String targetQueue = queue != null ? queue : configuredQueue;
    String targetPriority =
        priority != null ? priority : loaded.get(ConfigKeys.PRODUCER_DEFAULT_PRIORITY);
    if (!Names.isValid(targetQueue) || !Names.isValid(targetPriority)) {
      throw new UsageException("--queue and --priority must be " + Names.RULE + ", but were \""
          + targetQueue + "\" and \"" + targetPriority + "\"");
    }
    if (targetQueue.equals(configuredQueue) && !priorities.contains(targetPriority)) {
      throw new UsageException("--priority must be one of queue.priorities " + priorities
          + ", but was \"" + targetPriority + "\"");
    }
    NewJob single = payload == null ? null : singleJob();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (Components components = Components.withoutMetrics(loaded);
        Producer producer = components.producerBuilder()
            .defaultQueue(targetQueue)
            .defaultPriority(targetPriority)
            .build()) {
      if (single != null) {
        out.println(describe(producer.enqueue(single)));
        out.flush();
        return ExitCodes.OK;
      }
      return enqueueLines(producer, configuredQueue, priorities, out, err);
    }
  }

  private NewJob singleJob() {
    NewJob.Builder job = NewJob.builder(payload).id(id).idempotencyKey(idempotencyKey);
    if (delay != null) {
      try {
        job.delay(Durations.parse(delay));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--delay must be " + Durations.FORMAT + ", but was \"" + delay + "\"");
      }
    }
    if (maxAttempts != null) {
      if (maxAttempts < 1) {
        throw new UsageException("--max-attempts must be at least 1, but was " + maxAttempts);
      }
      job.maxAttempts(maxAttempts);
    }
    return job.build();
  }

  private int enqueueLines(Producer producer, String configuredQueue, List<String> priorities,
      PrintWriter out, PrintWriter err) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    int number = 0;
    int enqueued = 0;
    int rejected = 0;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      try {
        NewJob job = JobLines.parse(line);
        String jobQueue = job.queue() != null ? job.queue() : queue != null ? queue : configuredQueue;
        if (jobQueue.equals(configuredQueue) && job.priority() != null
            && !priorities.contains(job.priority())) {
          throw new IllegalArgumentException("priority must be one of queue.priorities " + priorities
              + ", but was \"" + job.priority() + "\"");
        }
        out.println(describe(producer.enqueue(job)));
        enqueued++;
      } catch (BackendUnavailableException e) {
        err.printf("line %d: not enqueued, backend unavailable: %s; stopping%n", number, e.getMessage());
        err.flush();
        out.flush();
        return ExitCodes.FAILURE;
      } catch (IllegalArgumentException | QueueException e) {
        err.printf("line %d: %s%n", number, e.getMessage());
        rejected++;
      }
    }
    out.flush();
    err.printf("enqueued %d jobs, rejected %d lines%n", enqueued, rejected);
    err.flush();
    return rejected == 0 ? ExitCodes.OK : ExitCodes.FAILURE;
  }

  private static String describe(EnqueueResult result) {
    return result.created() ? result.jobId()
        : result.jobId() + " (duplicate idempotency key: not enqueued again)";
  }
}
