package dev.workqueue.runner.internal.handler;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.Job;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesHandlerTest {
  @TempDir
  Path dir;

  private static Job job(Path file) {
    Instant now = Instant.now();
    return new Job("job-1", "files", "default", file.toString().getBytes(StandardCharsets.UTF_8), 1, 0,
        now, now, Map.of(), null);
  }

  @Test
  void readsTheNamedFile() throws Exception {
    Path file = Files.writeString(dir.resolve("a.txt"), "x".repeat(5000));
    new FilesHandler(Duration.ZERO).handle(job(file));
  }

  @Test
  void missingFileFailsTheAttempt() {
    assertThatThrownBy(() -> new FilesHandler(Duration.ZERO).handle(job(dir.resolve("gone.txt"))))
        .isInstanceOf(NoSuchFileException.class);
  }
}
