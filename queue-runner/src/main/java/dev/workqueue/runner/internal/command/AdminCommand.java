package dev.workqueue.runner.internal.command;

import static dev.workqueue.internal.ControlCharacters.escaped;

import dev.workqueue.Admin;
import dev.workqueue.BackendUnavailableException;
import dev.workqueue.DeadLetter;
import dev.workqueue.Job;
import dev.workqueue.QueueException;
import dev.workqueue.QueueStats;
import dev.workqueue.internal.Problems;
import dev.workqueue.runner.internal.Components;
import dev.workqueue.runner.internal.Json;
import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.RunnerConfig;
import java.io.Console;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code admin}: operator commands over the configured Redis, through {@link Admin}. */
@Command(name = "admin", mixinStandardHelpOptions = true,
    description = "Inspects and repairs queues in Redis (needs redis.url).",
    subcommands = {AdminCommand.Stats.class, AdminCommand.Peek.class, AdminCommand.Pause.class,
        AdminCommand.Resume.class, AdminCommand.Delete.class, AdminCommand.PurgeDlq.class,
        AdminCommand.RequeueDlq.class})
final class AdminCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "an admin command is required: stats, peek, pause, resume, delete, purge-dlq or requeue-dlq");
  }

  /** What every admin subcommand shares: config, output format, and the admin API. */
  abstract static class AdminBase implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--json", description = "Prints one JSON document instead of text.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    RunnerConfig loaded;

    @Override
    public final Integer call() throws Exception {
      loaded = config.load();
      if (!loaded.usesRedis()) {
        throw UsageException.needsRedis("admin", "the in-memory backend lives inside one runner process");
      }
      try (Components components = Components.uninstrumented(loaded)) {
        return run(Admin.of(components.backend()), spec.commandLine().getOut());
      }
    }

    abstract int run(Admin admin, PrintWriter out);

    List<String> configuredPriorities() {
      return loaded.get(ConfigKeys.QUEUE_PRIORITIES);
    }

    static void requireLimit(int limit) {
      OptionChecks.throwIfAny(new Problems("admin options").atLeast(limit, 1, "--limit"));
    }

    /**
     * Whether a destructive command may go ahead: {@code --yes} was given, or the operator
     * answered yes to {@code question} on the terminal. Otherwise says on stderr that nothing
     * changed: {@code refusal} says what the command would do, {@code declined} what was kept.
     */
    boolean confirmed(boolean yes, Supplier<String> question, String refusal, String declined) {
      if (yes) {
        return true;
      }
      // Without a terminal (stdin or stdout redirected) there is no one to ask.
      Console console = System.console();
      if (console != null) {
        String answer = console.readLine("%s [y/N] ", question.get());
        if (answer != null && List.of("y", "yes").contains(answer.trim().toLowerCase(Locale.ROOT))) {
          return true;
        }
      }
      PrintWriter err = spec.commandLine().getErr();
      err.println(console == null
          ? "refused: " + refusal + "; without a terminal to confirm on, pass --yes. Nothing was changed."
          : "not confirmed: " + declined + ".");
      err.flush();
      return false;
    }

    /**
     * Prints how many items of job {@code id} in {@code queue} the command handled; when none,
     * says so on stderr with {@code noneFormat} (id, queue) and fails, so scripts notice.
     */
    int printJobCount(PrintWriter out, String queue, String id, String jsonKey, long count,
        String textFormat, String noneFormat) {
      if (json) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("queue", queue);
        result.put("id", id);
        result.put(jsonKey, count);
        out.println(Json.write(result));
      } else if (count > 0) {
        out.printf(textFormat, count, escaped(id), queue);
      }
      out.flush();
      if (count > 0) {
        return ExitCodes.OK;
      }
      PrintWriter err = spec.commandLine().getErr();
      err.printf(noneFormat, escaped(id), queue);
      err.flush();
      return ExitCodes.FAILURE;
    }
  }

  /** A command on the dead letters of one queue, which defaults to the configured one. */
  abstract static class DeadLetterCommand extends AdminBase {
    @Parameters(index = "0", arity = "0..1", paramLabel = "QUEUE",
        description = "The queue; default the configured queue.name.")
    String queue;

    String target() {
      return queue != null ? queue : loaded.get(ConfigKeys.QUEUE_NAME);
    }

    /** Prints how many dead letters of {@code target} the command handled. */
    int printCount(PrintWriter out, String target, String jsonKey, long count, String textFormat) {
      if (json) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("queue", target);
        result.put(jsonKey, count);
        out.println(Json.write(result));
      } else {
        out.printf(textFormat, count, target);
      }
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "stats", mixinStandardHelpOptions = true,
      description = "Per queue: jobs waiting (per priority), in flight, delayed, dead, completed "
          + "(kept history), live consumers and whether it is paused.")
  static final class Stats extends AdminBase {
    @Override
    int run(Admin admin, PrintWriter out) {
      // Queue by queue, so that one whose keys Redis refuses to read (say, a key of the wrong type
      // written by hand) is named on stderr while the others are still shown; the whole command
      // used to fail with an error that named no queue. An unreachable backend still ends it.
      List<QueueStats> all = new ArrayList<>();
      Map<String, String> failed = new LinkedHashMap<>();
      for (String queue : admin.queues()) {
        try {
          all.add(admin.stats(queue));
        } catch (BackendUnavailableException e) {
          throw e;
        } catch (QueueException e) {
          failed.put(queue, e.getMessage());
        }
      }
      if (json) {
        List<Object> queues = new ArrayList<>();
        all.forEach(stats -> queues.add(statsJson(stats, configuredPriorities())));
        out.println(Json.write(Map.of("queues", queues)));
      } else if (all.isEmpty()) {
        out.println("no queues");
      } else {
        out.printf("%-24s %10s %10s %10s %10s %10s %10s %6s  %s%n", "QUEUE", "WAITING", "IN_FLIGHT",
            "DELAYED", "DEAD", "COMPLETED", "CONSUMERS", "PAUSED", "WAITING_BY_PRIORITY");
        for (QueueStats stats : all) {
          out.printf("%-24s %10d %10d %10d %10d %10d %10d %6s  %s%n", stats.queue(), stats.totalWaiting(),
              stats.inFlight(), stats.delayed(), stats.dead(), stats.completed(), stats.consumers(),
              stats.paused() ? "yes" : "no", byLane(stats, configuredPriorities()));
        }
      }
      out.flush();
      PrintWriter err = spec.commandLine().getErr();
      failed.forEach((queue, why) -> err.printf("queue %s: stats failed: %s%n", queue, why));
      err.flush();
      return failed.isEmpty() ? ExitCodes.OK : ExitCodes.FAILURE;
    }
  }

  /** Waiting counts in the configured priority order, then any other lanes by name. */
  static Map<String, Long> byLane(QueueStats stats, List<String> configured) {
    Map<String, Long> ordered = new LinkedHashMap<>();
    configured.stream().filter(stats.waiting()::containsKey)
        .forEach(lane -> ordered.put(lane, stats.waiting().get(lane)));
    new TreeMap<>(stats.waiting()).forEach(ordered::putIfAbsent);
    return ordered;
  }

  static Map<String, Object> statsJson(QueueStats stats, List<String> configured) {
    Map<String, Object> queue = new LinkedHashMap<>();
    queue.put("queue", stats.queue());
    queue.put("waiting", stats.totalWaiting());
    queue.put("waiting_by_priority", byLane(stats, configured));
    queue.put("in_flight", stats.inFlight());
    queue.put("delayed", stats.delayed());
    queue.put("dead", stats.dead());
    queue.put("completed", stats.completed());
    queue.put("consumers", stats.consumers());
    queue.put("paused", stats.paused());
    return queue;
  }

  @Command(name = "peek", mixinStandardHelpOptions = true,
      description = "Shows the next waiting jobs of each priority, the soonest delayed jobs and the "
          + "oldest dead letters of QUEUE, without taking them. Payloads only with --show-payload.")
  static final class Peek extends AdminBase {
    @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue to look into.")
    String queue;

    @Option(names = {"-n", "--limit"}, paramLabel = "N", defaultValue = "10",
        description = "Most jobs shown per section (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--show-payload", description = "Also prints payloads (as UTF-8 text).")
    boolean showPayload;

    @Override
    int run(Admin admin, PrintWriter out) {
      requireLimit(limit);
      QueueStats stats = admin.stats(queue);
      Set<String> lanes = new LinkedHashSet<>(configuredPriorities());
      lanes.addAll(stats.waiting().keySet());
      Map<String, List<Job>> waiting = new LinkedHashMap<>();
      for (String lane : lanes) {
        waiting.put(lane, admin.peek(queue, lane, limit));
      }
      List<Job> delayed = admin.peekDelayed(queue, limit);
      List<DeadLetter> dead = admin.peekDead(queue, limit);
      if (json) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("stats", statsJson(stats, configuredPriorities()));
        Map<String, Object> waitingJson = new LinkedHashMap<>();
        waiting.forEach((lane, jobs) -> waitingJson.put(lane, jobs.stream().map(this::jobJson).toList()));
        document.put("waiting", waitingJson);
        document.put("delayed", delayed.stream().map(this::jobJson).toList());
        document.put("dead", dead.stream().map(this::deadJson).toList());
        out.println(Json.write(document));
      } else {
        out.printf("queue %s%s: %d waiting, %d in flight, %d delayed, %d dead%n", queue,
            stats.paused() ? " (paused)" : "", stats.totalWaiting(), stats.inFlight(), stats.delayed(),
            stats.dead());
        waiting.forEach((lane, jobs) -> {
          out.printf("%nwaiting in %s (%d):%n", lane, stats.waiting().getOrDefault(lane, 0L));
          jobs.forEach(job -> out.println("  " + jobLine(job)));
        });
        out.printf("%ndelayed (%d):%n", stats.delayed());
        delayed.forEach(job -> out.println("  " + jobLine(job) + " run_at=" + job.runAt()));
        out.printf("%ndead (%d):%n", stats.dead());
        for (DeadLetter letter : dead) {
          String job = letter.job() == null ? escaped(letter.jobId()) + " (undecodable)"
              : jobLine(letter.job());
          out.println("  " + job
              + " error=" + escaped(letter.error().type() + ": " + letter.error().message())
              + " at=" + letter.error().at());
        }
      }
      out.flush();
      return ExitCodes.OK;
    }

    private String jobLine(Job job) {
      return escaped(job.id()) + " priority=" + job.priority() + " attempt=" + job.attempt() + " created="
          + job.createdAt() + " size=" + job.payloadSize()
          + (job.idempotencyKey() != null ? " key=" + escaped(job.idempotencyKey()) : "")
          + (showPayload ? " payload=" + escaped(job.payloadAsString()) : "");
    }

    private Map<String, Object> jobJson(Job job) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("id", job.id());
      json.put("priority", job.priority());
      json.put("attempt", job.attempt());
      json.put("max_attempts", job.maxAttempts());
      json.put("created_at", job.createdAt());
      json.put("run_at", job.runAt());
      json.put("payload_size", job.payloadSize());
      json.put("idempotency_key", job.idempotencyKey());
      if (showPayload) {
        json.put("payload", job.payloadAsString());
      }
      return json;
    }

    private Map<String, Object> deadJson(DeadLetter letter) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("id", letter.jobId());
      json.put("job", letter.job() == null ? null : jobJson(letter.job()));
      json.put("error", Map.of("type", letter.error().type(), "message", letter.error().message(),
          "at", letter.error().at()));
      return json;
    }
  }

  @Command(name = "purge-dlq", mixinStandardHelpOptions = true,
      description = "Deletes every dead letter of QUEUE (default queue.name), or with --id those of "
          + "one job. Asks for confirmation on a terminal; without one it refuses unless --yes is given.")
  static final class PurgeDlq extends DeadLetterCommand {
    private static final String REFUSAL = "purge-dlq deletes dead letters for good";
    private static final String NOTHING_DELETED = "no dead letters were deleted";

    @Option(names = {"-y", "--yes"}, description = "Purges without asking.")
    boolean yes;

    @Option(names = "--id", paramLabel = "ID", description = "Deletes only the dead letters of this job.")
    String id;

    @Override
    int run(Admin admin, PrintWriter out) {
      String target = target();
      if (id != null) {
        Supplier<String> question = () -> {
          admin.stats(target); // an unknown queue fails here, before the operator is asked
          return "Delete the dead letters of job " + escaped(id) + " of queue " + target + " for good?";
        };
        if (!confirmed(yes, question, REFUSAL, NOTHING_DELETED)) {
          return ExitCodes.REFUSED;
        }
        return printJobCount(out, target, id, "removed", admin.deleteDeadJob(target, id),
            "removed %d dead letters of job %s from %s%n", "no dead letter of job %s in queue %s%n");
      }
      if (!confirmed(yes, () -> "Delete all " + admin.stats(target).dead() + " dead letters of queue "
          + target + " for good?", REFUSAL, NOTHING_DELETED)) {
        return ExitCodes.REFUSED;
      }
      return printCount(out, target, "removed", admin.purgeDead(target),
          "removed %d dead letters from %s%n");
    }
  }

  @Command(name = "requeue-dlq", mixinStandardHelpOptions = true,
      description = "Moves up to N dead letters of QUEUE (default queue.name), oldest first, or with "
          + "--id those of one job, back to their priority lanes with a fresh attempt count.")
  static final class RequeueDlq extends DeadLetterCommand {
    private static final int DEFAULT_LIMIT = 1000;

    @Option(names = {"-n", "--limit"}, paramLabel = "N",
        description = "Most dead letters moved (default: " + DEFAULT_LIMIT + ").")
    Integer limit;

    @Option(names = "--id", paramLabel = "ID", description = "Moves only the dead letters of this job.")
    String id;

    @Override
    int run(Admin admin, PrintWriter out) {
      String target = target();
      if (id != null) {
        OptionChecks.throwIfAny(new Problems("admin options")
            .check(limit == null, "--limit", "left out with --id", limit));
        return printJobCount(out, target, id, "requeued", admin.requeueDeadJob(target, id),
            "requeued %d dead letters of job %s of %s%n", "no dead letter of job %s in queue %s that "
                + "can run again%n");
      }
      int most = limit != null ? limit : DEFAULT_LIMIT;
      requireLimit(most);
      return printCount(out, target, "requeued", admin.requeueDead(target, most),
          "requeued %d dead letters of %s%n");
    }
  }

  /** {@code pause} and {@code resume}, which differ only in the state they set. */
  abstract static class PauseCommand extends AdminBase {
    @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue.")
    String queue;

    abstract boolean pausing();

    @Override
    int run(Admin admin, PrintWriter out) {
      boolean changed = pausing() ? admin.pause(queue) : admin.resume(queue);
      if (json) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("queue", queue);
        result.put("paused", pausing());
        result.put("changed", changed);
        out.println(Json.write(result));
      } else if (pausing()) {
        out.println(changed ? "paused " + queue + ": consumers take none of its jobs until admin resume "
            + queue : queue + " was already paused");
      } else {
        out.println(changed ? "resumed " + queue : queue + " was not paused");
      }
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = "Pauses QUEUE: every consumer finishes the jobs it holds and takes no more of it "
          + "until admin resume; producers go on enqueueing. Kept in Redis, so it outlives restarts.")
  static final class Pause extends PauseCommand {
    @Override
    boolean pausing() {
      return true;
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "Resumes a paused QUEUE: consumers take its jobs again at once.")
  static final class Resume extends PauseCommand {
    @Override
    boolean pausing() {
      return false;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Deletes the waiting or delayed job ID of QUEUE, so that it never runs; a running "
          + "job cannot be deleted. Asks for confirmation on a terminal; without one it refuses unless "
          + "--yes is given.")
  static final class Delete extends AdminBase {
    @Parameters(index = "0", paramLabel = "QUEUE", description = "The job's queue.")
    String queue;

    @Parameters(index = "1", paramLabel = "ID", description = "The job's id.")
    String id;

    @Option(names = {"-y", "--yes"}, description = "Deletes without asking.")
    boolean yes;

    @Override
    int run(Admin admin, PrintWriter out) {
      Supplier<String> question = () -> {
        admin.stats(queue); // an unknown queue fails here, before the operator is asked
        return "Delete job " + escaped(id) + " of queue " + queue + " for good?";
      };
      if (!confirmed(yes, question, "delete removes a job for good", "the job was not deleted")) {
        return ExitCodes.REFUSED;
      }
      return printJobCount(out, queue, id, "deleted", admin.deleteJob(queue, id),
          "deleted %d jobs with id %s from %s%n", "no waiting or delayed job %s in queue %s: it may be "
              + "running, done or dead (see admin peek)%n");
    }
  }
}
