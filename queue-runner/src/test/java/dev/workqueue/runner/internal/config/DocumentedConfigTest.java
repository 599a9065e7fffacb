package dev.workqueue.runner.internal.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Keeps the example configurations and the configuration reference in step with the key catalogue. */
class DocumentedConfigTest {
  private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();

  @Test
  void exampleConfigurationsAreValid() {
    RunnerConfig full = ConfigLoader.load(REPOSITORY.resolve("examples/config/runner-full.yaml"), Map.of());
    RunnerConfig minimal = ConfigLoader.load(REPOSITORY.resolve("examples/config/runner-minimal.yaml"), Map.of());

    assertThat(full.usesRedis()).isTrue();
    assertThat(minimal.usesRedis()).isTrue();
  }

  @Test
  void fullExampleSetsEveryKey() throws Exception {
    String full = Files.readString(REPOSITORY.resolve("examples/config/runner-full.yaml"));
    for (ConfigKey<?> key : ConfigKeys.all()) {
      String leaf = key.path().substring(key.path().lastIndexOf('.') + 1);
      assertThat(full).as(key.path()).contains(leaf + ":");
    }
  }

  @Test
  void referenceDocumentsEveryKeyAndItsEnvironmentVariable() throws Exception {
    String reference = Files.readString(REPOSITORY.resolve("docs/runner.md"));
    for (ConfigKey<?> key : ConfigKeys.all()) {
      assertThat(reference).contains("`" + key.path() + "`", "`" + key.envName() + "`");
    }
  }
}
