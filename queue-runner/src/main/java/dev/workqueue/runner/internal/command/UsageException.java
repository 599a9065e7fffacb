package dev.workqueue.runner.internal.command;

/** The command cannot run as asked; reported with exit status {@link ExitCodes#USAGE}. */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
