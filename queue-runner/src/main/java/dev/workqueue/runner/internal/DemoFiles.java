package dev.workqueue.runner.internal;

import dev.workqueue.internal.NamedThreads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A temporary directory of generated sample files for the demo when no
 * {@code producer.source.dir} is configured. It starts with {@value #INITIAL_FILES} files and
 * rewrites one file of a ring of {@value #RING_SIZE} every second, so the demo keeps producing
 * work while using a bounded amount of disk. Deleted on close.
 */
public final class DemoFiles implements AutoCloseable {
  static final int INITIAL_FILES = 5;
  static final int RING_SIZE = 20;
  private static final String[] EXTENSIONS = {"txt", "csv", "log", "json"};
  private static final Logger log = LoggerFactory.getLogger(DemoFiles.class);

  private final Path directory;
  private final ScheduledExecutorService generator;
  private int next;

  private DemoFiles(Path directory) {
    this.directory = directory;
    this.generator = Executors.newSingleThreadScheduledExecutor(NamedThreads.single("runner", "demo-files"));
  }

  /** Creates the directory with its first files and starts rewriting one per second. */
  public static DemoFiles create() throws IOException {
    DemoFiles demo = new DemoFiles(Files.createTempDirectory("workqueue-demo-"));
    for (int i = 0; i < INITIAL_FILES; i++) {
      demo.writeNext();
    }
    demo.generator.scheduleWithFixedDelay(demo::writeNextQuietly, 1, 1, TimeUnit.SECONDS);
    log.info("no producer.source.dir configured: generated {} sample files in {} and rewriting one "
        + "per second (deleted on exit)", INITIAL_FILES, demo.directory);
    return demo;
  }

  /** The generated directory. */
  public Path directory() {
    return directory;
  }

  private synchronized void writeNext() throws IOException {
    int index = next++ % RING_SIZE;
    String extension = EXTENSIONS[index % EXTENSIONS.length];
    int lines = 20 + (index * 37) % 400;
    StringBuilder content = new StringBuilder();
    for (int line = 0; line < lines; line++) {
      content.append("sample ").append(index).append(" generation ").append(next)
          .append(" line ").append(line).append('\n');
    }
    Path file = directory.resolve(String.format("sample-%02d.%s", index, extension));
    Path partial = directory.resolve(".partial-" + index);
    Files.writeString(partial, content, StandardCharsets.UTF_8);
    Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private void writeNextQuietly() {
    try {
      writeNext();
    } catch (IOException e) {
      log.warn("could not write a demo file: {}", e.getMessage());
    }
  }

  /** Stops generating and deletes the directory. Idempotent. */
  @Override
  public void close() {
    generator.shutdownNow();
    try {
      generator.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      log.debug("could not delete {}: {}", directory, e.getMessage());
    }
  }
}
