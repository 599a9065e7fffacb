package dev.workqueue.runner.internal.command;

import dev.workqueue.runner.internal.config.RunnerConfig;
import java.util.concurrent.Callable;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Validates the configuration and prints the effective values, secrets redacted. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Validates the configuration and prints the effective values (file, environment "
        + "and defaults merged; secrets redacted).")
final class ConfigCommand implements Callable<Integer> {
  @Mixin
  ConfigOption config;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    RunnerConfig loaded = config.load();
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    // Keys whose defaults are one shared object (empty maps) would print as &id001 and *id001.
    options.setDereferenceAliases(true);
    spec.commandLine().getOut().print(new Yaml(options).dump(loaded.redactedTree()));
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
