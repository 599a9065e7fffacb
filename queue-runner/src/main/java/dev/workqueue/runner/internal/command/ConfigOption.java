package dev.workqueue.runner.internal.command;

import dev.workqueue.runner.internal.LogConfigurator;
import dev.workqueue.runner.internal.config.ConfigKeys;
import dev.workqueue.runner.internal.config.ConfigLoader;
import dev.workqueue.runner.internal.config.RunnerConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config FILE} option every command takes, and the loading it triggers. */
public final class ConfigOption {
  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "YAML configuration file; WORKQUEUE_* environment variables override it.")
  Path file;

  /**
   * Loads and validates the configuration and applies {@code log.level} and {@code log.format}.
   * Called before any component is built, so they hold for the whole run.
   *
   * @throws dev.workqueue.InvalidConfigurationException listing every problem
   */
  RunnerConfig load() {
    RunnerConfig config = ConfigLoader.load(file, System.getenv());
    LogConfigurator.apply(config.get(ConfigKeys.LOG_LEVEL), config.get(ConfigKeys.LOG_FORMAT));
    return config;
  }
}
