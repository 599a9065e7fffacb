package dev.workqueue.runner.internal.command;

import dev.workqueue.runner.internal.config.RunnerConfig;

/** The command cannot run as asked; reported with exit status {@link ExitCodes#USAGE}. */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }

  /** {@code command} cannot run on the in-memory backend, for the reason {@code why}. */
  static UsageException needsRedis(String command, String why) {
    return new UsageException(command + " needs a Redis (" + RunnerConfig.REDIS_KEYS + "): " + why);
  }
}
