package dev.workqueue.runner.internal.handler;

import dev.workqueue.InvalidConfigurationException;
import dev.workqueue.JobHandler;
import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.RunnerConfig;
import java.lang.reflect.InvocationTargetException;
import java.util.List;

/** Builds the handler that {@code worker.handler} names. */
public final class Handlers {
  private Handlers() {}

  /**
   * The configured handler: {@code log}, {@code exec}, {@code files}, or a new instance of the
   * named class (validated when the configuration was loaded).
   *
   * @throws InvalidConfigurationException if the handler class cannot be created: it cannot be
   *     loaded or initialized, its constructor is not accessible, or its constructor throws
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
    } catch (ReflectiveOperationException | LinkageError e) {
      // The operator named the class, so its failure is reported as configuration (exit status 2,
      // one line) rather than escaping as an error with a stack trace; a failing static
      // initializer or a missing dependency of the class is a LinkageError.
      Throwable cause = e instanceof InvocationTargetException target ? target.getCause()
          : e instanceof ExceptionInInitializerError initializer && initializer.getCause() != null
              ? initializer.getCause() : e;
      InvalidConfigurationException invalid = new InvalidConfigurationException("configuration",
          List.of(ConfigKeys.WORKER_HANDLER.path() + " class " + className + " could not be created: "
              + cause));
      invalid.initCause(cause);
      throw invalid;
    }
  }
}
