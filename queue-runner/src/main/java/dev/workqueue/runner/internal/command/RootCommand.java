package dev.workqueue.runner.internal.command;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.QueueException;
import dev.workqueue.runner.internal.LogConfigurator;
import dev.workqueue.runner.internal.RunnerProcess;
import dev.workqueue.runner.internal.config.Redaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.PrintWriter;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code queue-runner} command and its subcommands. */
// Inherited, so that every subcommand's --version prints the version too (not only this one's).
@Command(name = "queue-runner", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
    versionProvider = RootCommand.Version.class,
    description = "Runs workqueue producers and workers, and administers queues.",
    subcommands = {RoleCommand.Worker.class, RoleCommand.ProducerRole.class, RoleCommand.All.class,
        EnqueueCommand.class, AdminCommand.class, BenchCommand.class, ConfigCommand.class},
    footer = {"", "Exit status: 0 done (or stopped by SIGTERM/SIGINT), 1 failure, 2 invalid usage or "
        + "configuration, 3 not confirmed."})
public final class RootCommand implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(RootCommand.class);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** A command line ready to execute, with the runner's exit statuses and error reporting. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new RootCommand());
    commandLine.setExecutionExceptionHandler(RootCommand::report);
    return commandLine;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  private static int report(Exception failure, CommandLine command, CommandLine.ParseResult parsed) {
    String report = describe(failure);
    if (LogConfigurator.writesJson()) {
      log.error(report);
    } else {
      PrintWriter err = command.getErr();
      err.println(report);
      err.flush();
    }
    return ExitCodes.of(failure);
  }

  /** What the last words of the process say about {@code failure}; several lines for a configuration. */
  private static String describe(Exception failure) {
    if (failure instanceof InvalidConfigurationException invalid) {
      int count = invalid.problems().size();
      return "invalid configuration (" + count + " problem" + (count == 1 ? "" : "s") + "):"
          + invalid.problems().stream().map(problem -> "\n  - " + Redaction.redactUrl(problem))
              .collect(Collectors.joining());
    } else if (failure instanceof UsageException) {
      return "error: " + failure.getMessage();
    } else if (failure instanceof BackendUnavailableException) {
      return "backend unavailable: " + Redaction.redactUrl(failure.getMessage());
    } else if (failure instanceof QueueException || failure instanceof IllegalArgumentException
        // I/O failures of the runner's own (the HTTP port taken, stdin unreadable, a directory the
        // producer cannot scan) say what failed.
        || failure instanceof IOException || failure instanceof UncheckedIOException) {
      return "error: " + Redaction.redactUrl(failure.getMessage());
    }
    return "error: " + Redaction.redactUrl(String.valueOf(failure));
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {RunnerProcess.version(), "Java " + System.getProperty("java.version")};
    }
  }
}
