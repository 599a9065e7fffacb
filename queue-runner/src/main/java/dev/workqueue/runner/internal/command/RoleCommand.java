package dev.workqueue.runner.internal.command;

import dev.workqueue.runner.internal.RunnerProcess;
import dev.workqueue.runner.internal.ShutdownSignal;
import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.RunnerConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** A long-running role: runs until SIGTERM/SIGINT (or, for a scan-once producer, its scan ends). */
abstract class RoleCommand implements Callable<Integer> {
  /** Time the shutdown hook allows beyond the drain timeout for closing everything else. */
  private static final Duration SHUTDOWN_MARGIN = Duration.ofSeconds(30);

  @Mixin
  ConfigOption config;

  private final boolean worker;
  private final boolean producing;

  RoleCommand(boolean worker, boolean producing) {
    this.worker = worker;
    this.producing = producing;
  }

  @Override
  public Integer call() throws Exception {
    RunnerConfig loaded = config.load();
    // The in-memory backend lives and dies with this process: only `all` both fills and drains it.
    if (!loaded.usesRedis() && worker != producing) {
      String lost = worker ? "no other process could give it jobs" : "its jobs would be lost when it exits";
      throw UsageException.needsRedis(worker ? "worker" : "producer", "on the in-memory backend of this "
          + "process " + lost + "; `all` runs producer and worker together on it");
    }
    ShutdownSignal signal = ShutdownSignal.install(
        loaded.get(ConfigKeys.WORKER_DRAIN_TIMEOUT).plus(SHUTDOWN_MARGIN));
    int status = ExitCodes.FAILURE;
    try (RunnerProcess process = RunnerProcess.start(loaded, worker, producing,
        worker ? () -> { } : signal::requestStop, signal::isStopRequested)) {
      signal.awaitStopRequest();
      process.throwIfSourceFailed();
      status = ExitCodes.OK;
    } catch (RuntimeException e) {
      // The shutdown hook ends the process with the status recorded here, overriding the one
      // the command line reports for the failure: both must be the same.
      status = ExitCodes.of(e);
      throw e;
    } finally {
      signal.finished(status);
    }
    return status;
  }

  @Command(name = "worker", mixinStandardHelpOptions = true,
      description = "Runs a consumer with the configured handler until SIGTERM/SIGINT.")
  static final class Worker extends RoleCommand {
    Worker() {
      super(true, false);
    }
  }

  @Command(name = "producer", mixinStandardHelpOptions = true,
      description = "Scans producer.source.dir and enqueues a job per new or changed file; "
          + "with producer.source.rescan_interval 0 it exits after one scan.")
  static final class ProducerRole extends RoleCommand {
    ProducerRole() {
      super(false, true);
    }
  }

  @Command(name = "all", mixinStandardHelpOptions = true,
      description = "Runs producer and worker in one process: with no configuration, the file "
          + "processing demo on the in-memory backend.")
  static final class All extends RoleCommand {
    All() {
      super(true, true);
    }
  }
}
