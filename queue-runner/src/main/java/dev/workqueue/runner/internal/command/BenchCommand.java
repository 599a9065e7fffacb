package dev.workqueue.runner.internal.command;

import dev.workqueue.Producer;
import dev.workqueue.internal.Problems;
import dev.workqueue.runner.internal.Bench;
import dev.workqueue.runner.internal.Components;
import dev.workqueue.runner.internal.Json;
import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.RunnerConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bench}: throughput and latency on the configured backend. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Enqueues N jobs at an offered rate while workers in this process take them, then "
        + "reports enqueue rate, processing rate and end-to-end latency p50/p95/p99/max. Uses Redis "
        + "when one is configured, else the in-memory backend.")
final class BenchCommand implements Callable<Integer> {
  @Mixin
  ConfigOption config;

  @Option(names = {"-n", "--jobs"}, paramLabel = "N", defaultValue = "10000",
      description = "Jobs to enqueue (default: ${DEFAULT-VALUE}).")
  int jobs;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "0",
      description = "Jobs run first, at the same rate, and left out of every figure, so that the "
          + "code measured is compiled and connections are open (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--payload-size", paramLabel = "BYTES", defaultValue = "256",
      description = "Payload size in bytes, at most 512 MiB (default: ${DEFAULT-VALUE}).")
  int payloadSize;

  @Option(names = "--priority", paramLabel = "PRIORITY",
      description = "Priority of every job (default: producer.default_priority).")
  String priority;

  @Option(names = "--rate", paramLabel = "JOBS_PER_SEC", defaultValue = "0",
      description = "Offered enqueue rate; 0 enqueues as fast as possible (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--concurrency", paramLabel = "N",
      description = "Worker threads (default: worker.concurrency).")
  Integer concurrency;

  @Option(names = "--queue", paramLabel = "QUEUE", defaultValue = "bench",
      description = "Queue to use (default: ${DEFAULT-VALUE}); bench refuses a queue that holds "
          + "jobs, and no worker should serve it.")
  String queue;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m",
      description = "Longest wait for all jobs to be processed (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Option(names = "--json", description = "Prints one JSON document instead of the table.")
  boolean json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    RunnerConfig loaded = config.load();
    String lane = priority != null ? priority : loaded.get(ConfigKeys.PRODUCER_DEFAULT_PRIORITY);
    List<String> priorities = loaded.get(ConfigKeys.QUEUE_PRIORITIES);
    Problems problems = new Problems("bench options")
        .atLeast(jobs, 1, "--jobs")
        .atLeast(warmup, 0, "--warmup")
        .check(payloadSize >= 0 && payloadSize <= Producer.LARGEST_MAX_PAYLOAD_BYTES, "--payload-size",
            "between 0 and " + Producer.LARGEST_MAX_PAYLOAD_BYTES + " (512 MiB)", payloadSize)
        .check(rate >= 0, "--rate", "at least 0", rate)
        .check(concurrency == null || concurrency >= 1, "--concurrency", "at least 1", concurrency)
        .check(priorities.contains(lane), "--priority", "one of queue.priorities " + priorities, lane);
    Duration wait = OptionChecks.duration(problems, "--timeout", timeout);
    // Zero gave up at once, after enqueueing every job: a failed run that left them on the queue.
    problems.check(wait == null || !wait.isZero(), "--timeout", "a positive duration such as 30s or 5m",
        timeout);
    OptionChecks.throwIfAny(problems);
    Bench.Settings settings = new Bench.Settings(jobs, warmup, payloadSize, queue, lane, rate,
        concurrency != null ? concurrency : loaded.get(ConfigKeys.WORKER_CONCURRENCY), wait);
    Bench.Report report;
    try (Components components = Components.create(loaded)) {
      String held = Bench.jobsHeld(components.backend(), queue);
      if (held != null) {
        throw new UsageException("--queue must name a queue that holds no jobs, because bench "
            + "acknowledges every job it takes without running it, but \"" + queue + "\" holds " + held
            + "; choose another --queue");
      }
      report = Bench.run(components, loaded, settings);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(json ? Json.write(report.toMap()) + System.lineSeparator() : report.toTable());
    out.flush();
    if (report.timedOut()) {
      spec.commandLine().getErr().println("error: bench timed out " + report.timeoutSummary()
          + "; a bench there is refused until they are gone, so pick another --queue");
      return ExitCodes.FAILURE;
    }
    return ExitCodes.OK;
  }
}
