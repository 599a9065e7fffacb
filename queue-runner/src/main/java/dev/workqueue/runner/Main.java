package dev.workqueue.runner;

import dev.workqueue.runner.internal.command.RootCommand;

/**
 * Entry point of the runner jar: {@code java -jar queue-runner.jar <command> [options]}. Run
 * with {@code --help} for the commands; {@code docs/runner.md} describes them, the
 * configuration keys and their environment variables, the HTTP endpoints and the exit statuses.
 */
public final class Main {
  private Main() {}

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the command line and returns its exit status instead of exiting: 0 done (or stopped by
   * SIGTERM/SIGINT), 1 failure, 2 invalid usage or configuration, 3 not confirmed.
   */
  public static int run(String... args) {
    return RootCommand.commandLine().execute(args);
  }
}
