package dev.workqueue.runner.internal.command;

import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.ConfigLoader;
import dev.workqueue.runner.internal.config.RunnerConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config FILE} option every command takes, and the loading it triggers. */
public final class ConfigOption {
  /** Where the level of the runner's log is read from by slf4j-simple. */
  static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "YAML configuration file; WORKQUEUE_* environment variables override it.")
  Path file;

  /**
   * Loads and validates the configuration and applies {@code log.level}. Called before any
   * logger exists, so the level holds for the whole run.
   *
   * @throws dev.workqueue.InvalidConfigurationException listing every problem
   */
  RunnerConfig load() {
    RunnerConfig config = ConfigLoader.load(file, System.getenv());
    if (System.getProperty(LOG_LEVEL_PROPERTY) == null || config.isSet(ConfigKeys.LOG_LEVEL)) {
      System.setProperty(LOG_LEVEL_PROPERTY, config.get(ConfigKeys.LOG_LEVEL));
    }
    return config;
  }
}
