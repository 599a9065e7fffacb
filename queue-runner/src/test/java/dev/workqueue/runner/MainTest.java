package dev.workqueue.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.workqueue.runner.internal.command.RootCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {
  @Test
  void helpAndVersionWorkOnEveryCommand() {
    assertThat(Main.run("--help")).isZero();
    assertThat(Main.run("--version")).isZero();
    for (String[] command : new String[][] {{"worker"}, {"producer"}, {"all"}, {"enqueue"}, {"bench"},
        {"config"}, {"admin"}, {"admin", "stats"}, {"admin", "peek"}, {"admin", "purge-dlq"},
        {"admin", "requeue-dlq"}}) {
      String[] help = java.util.Arrays.copyOf(command, command.length + 1);
      help[command.length] = "--help";
      assertThat(Main.run(help)).as(String.join(" ", help)).isZero();
    }
  }

  /** Only the top-level command printed its version; the others printed nothing, with status 0. */
  @Test
  void everyCommandPrintsTheVersion() {
    for (String[] command : new String[][] {{}, {"worker"}, {"producer"}, {"all"}, {"enqueue"}, {"bench"},
        {"config"}, {"admin"}, {"admin", "stats"}, {"admin", "peek"}, {"admin", "purge-dlq"},
        {"admin", "requeue-dlq"}}) {
      String[] version = java.util.Arrays.copyOf(command, command.length + 1);
      version[command.length] = "--version";
      StringWriter out = new StringWriter();
      CommandLine commandLine = RootCommand.commandLine().setOut(new PrintWriter(out));

      assertThat(commandLine.execute(version)).as(String.join(" ", version)).isZero();
      assertThat(out.toString()).as(String.join(" ", version)).startsWith("queue-runner ")
          .contains("Java " + System.getProperty("java.version"));
    }
  }

  @Test
  void enqueueRejectsAPriorityNoWorkerServesBeforeConnecting(@TempDir Path dir) throws Exception {
    Path config = Files.writeString(dir.resolve("c.yaml"), "redis:\n  url: redis://127.0.0.1:1\n");

    assertThat(Main.run("enqueue", "--config", config.toString(), "--payload", "x", "--priority", "nope"))
        .isEqualTo(2);
    assertThat(Main.run("enqueue", "--config", config.toString(), "--payload", "x", "--queue", "a b"))
        .isEqualTo(2);
  }

  @Test
  void workerOrProducerAloneWithoutARedisExitsWithTwoInsteadOfUsingAPrivateInMemoryBackend(@TempDir Path dir)
      throws Exception {
    Path config = Files.writeString(dir.resolve("c.yaml"), "http:\n  enabled: false\n");

    assertThat(Main.run("worker", "--config", config.toString())).isEqualTo(2);
    assertThat(Main.run("producer", "--config", config.toString())).isEqualTo(2);
  }

  @Test
  void badOptionValuesExitWithTwoBeforeConnecting(@TempDir Path dir) throws Exception {
    Path config = Files.writeString(dir.resolve("c.yaml"), "redis:\n  url: redis://127.0.0.1:1\n");

    assertThat(Main.run("bench", "--jobs", "0", "--rate", "-1", "--timeout", "soon")).isEqualTo(2);
    assertThat(Main.run("bench", "--timeout", "0s")).isEqualTo(2);
    assertThat(Main.run("bench", "--payload-size", Integer.toString(Integer.MAX_VALUE))).isEqualTo(2);
    assertThat(Main.run("enqueue", "--config", config.toString(), "--payload", "x", "--delay", "soon"))
        .isEqualTo(2);
    assertThat(Main.run("enqueue", "--config", config.toString(), "--payload", "x",
        "--delay", "999999999999d")).isEqualTo(2);
    assertThat(Main.run("admin", "peek", "q", "--config", config.toString(), "--limit", "0")).isEqualTo(2);
    assertThat(Main.run("admin", "requeue-dlq", "--config", config.toString(), "--limit", "0"))
        .isEqualTo(2);
  }

  @Test
  void usageMistakesExitWithTwo() {
    assertThat(Main.run()).isEqualTo(2);
    assertThat(Main.run("frobnicate")).isEqualTo(2);
    assertThat(Main.run("admin", "peek")).isEqualTo(2);
    assertThat(Main.run("admin", "stats", "--config", "/nonexistent/config.yaml")).isEqualTo(2);
  }
}
