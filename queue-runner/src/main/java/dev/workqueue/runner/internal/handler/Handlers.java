package dev.workqueue.runner.internal.handler;

import dev.workqueue.JobHandler;
import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.RunnerConfig;
import java.lang.reflect.InvocationTargetException;

/** Builds the handler that {@code worker.handler} names. */
public final class Handlers {
  private Handlers() {}

  /**
   * The configured handler: {@code log}, {@code exec}, {@code files}, or a new instance of the
   * named class (validated when the configuration was loaded).
   *
   * @throws IllegalStateException if the handler class cannot be instantiated
   */
  public static JobHandler create(RunnerConfig config) {
    String handler = config.get(ConfigKeys.WORKER_HANDLER);
    return switch (handler) {
      case "log" -> new LogHandler();
      case "exec" -> new ExecHandler(config.get(ConfigKeys.WORKER_EXEC_COMMAND),
          config.get(ConfigKeys.WORKER_EXEC_TIMEOUT));
      case "files" -> new FilesHandler(config.get(ConfigKeys.WORKER_FILES_WORK_PER_KIB));
      default -> instantiate(handler);
    };
  }

  private static JobHandler instantiate(String className) {
    try {
      Class<?> type = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
      return (JobHandler) type.getConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      Throwable cause = e instanceof InvocationTargetException target ? target.getCause() : e;
      throw new IllegalStateException("worker.handler class " + className + " could not be created: "
          + cause, cause);
    }
  }
}
