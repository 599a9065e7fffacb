package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.awaitility.Awaitility.await;

import dev.workqueue.Admin;
import dev.workqueue.Job;
import dev.workqueue.Producer;
import dev.workqueue.RateLimiter;
import dev.workqueue.RateLimiterConfig;
import dev.workqueue.memory.InMemoryQueueBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectorySourceTest {
  @TempDir
  Path dir;

  private final InMemoryQueueBackend backend = InMemoryQueueBackend.create();
  private final Producer producer = Producer.builder(backend).defaultQueue("files").build();

  @AfterEach
  void close() {
    producer.close();
    backend.close();
  }

  private DirectorySource source(List<String> include, List<String> exclude) {
    return new DirectorySource(dir, include, exclude, Map.of("pdf", "high", "log", "low"), producer,
        Duration.ZERO, () -> { });
  }

  private List<String> waiting(String priority) {
    return Admin.of(backend).peek("files", priority, 100).stream()
        .map(job -> dir.relativize(Path.of(job.payloadAsString())).toString()).toList();
  }

  /** A producer that scans once must fail when it cannot read its directory, not finish empty. */
  @Test
  void aDirectoryThatCannotBeReadFailsTheScan() throws Exception {
    Path gone = dir.resolve("gone");
    Files.createDirectories(gone);
    DirectorySource source = new DirectorySource(gone, List.of("**"), List.of(), Map.of(), producer,
        Duration.ZERO, () -> { });
    Files.delete(gone);

    assertThatThrownBy(source::scanOnce)
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageStartingWith("cannot scan " + gone + ": ");
  }

  @Test
  void enqueuesMatchingFilesWithThePriorityOfTheirExtension() throws Exception {
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("a.pdf"), "a");
    Files.writeString(dir.resolve("sub/b.LOG"), "b");
    Files.writeString(dir.resolve("c.txt"), "c");
    Files.writeString(dir.resolve("d.tmp"), "d");
    Files.writeString(dir.resolve(".hidden.txt"), "e");

    int enqueued = source(List.of("**"), List.of("**/*.tmp")).scanOnce();

    assertThat(enqueued).isEqualTo(3);
    assertThat(waiting("high")).containsExactly("a.pdf");
    assertThat(waiting("low")).containsExactly("sub/b.LOG");
    assertThat(waiting("default")).containsExactly("c.txt");
  }

  /** Deployments often point the producer at a link to a directory on a mounted volume. */
  @Test
  void aDirectoryThatIsASymbolicLinkIsScannedAndItsFilesNamedUnderTheLink() throws Exception {
    Path target = Files.createDirectories(dir.resolve("volume/inbox"));
    Files.writeString(target.resolve("a.txt"), "a");
    Path link = Files.createSymbolicLink(dir.resolve("inbox"), target);
    DirectorySource source = new DirectorySource(link, List.of("**"), List.of(), Map.of(), producer,
        Duration.ZERO, () -> { });

    assertThat(source.scanOnce()).isEqualTo(1);

    assertThat(waiting("default")).containsExactly("inbox/a.txt");
  }

  /** Files staged in a hidden directory, as rsync --delay-updates does, are not ready yet. */
  @Test
  void filesInHiddenDirectoriesAreSkipped() throws Exception {
    Files.createDirectories(dir.resolve("sub/.~tmp~"));
    Files.writeString(dir.resolve("sub/.~tmp~/staged.txt"), "s");
    Files.createDirectories(dir.resolve(".git"));
    Files.writeString(dir.resolve(".git/config"), "c");
    Files.writeString(dir.resolve("sub/ready.txt"), "r");

    source(List.of("**"), List.of()).scanOnce();

    assertThat(waiting("default")).containsExactly("sub/ready.txt");
  }

  @Test
  void includeGlobsStartingWithDoubleStarAlsoMatchAtTheTopLevel() throws Exception {
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("top.csv"), "1");
    Files.writeString(dir.resolve("sub/deep.csv"), "2");
    Files.writeString(dir.resolve("other.txt"), "3");

    source(List.of("**/*.csv"), List.of()).scanOnce();

    assertThat(waiting("default")).containsExactlyInAnyOrder("top.csv", "sub/deep.csv");
  }

  @Test
  void laterScansEnqueueOnlyNewOrChangedFiles() throws Exception {
    Path file = Files.writeString(dir.resolve("a.txt"), "one");
    DirectorySource source = source(List.of("**"), List.of());
    assertThat(source.scanOnce()).isEqualTo(1);
    assertThat(source.scanOnce()).isZero();

    Files.writeString(file, "changed");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
    Files.writeString(dir.resolve("b.txt"), "new");

    assertThat(source.scanOnce()).isEqualTo(2);
    assertThat(Admin.of(backend).stats("files").totalWaiting()).isEqualTo(3);
  }

  /**
   * A rescan compares every file with those enqueued before; done pairwise, a directory of 100,000
   * files took minutes of CPU per rescan instead of about a second.
   */
  @Test
  void aRescanOfAHundredThousandFilesTakesNoPairwiseComparison() throws Exception {
    for (int i = 0; i < 100_000; i++) {
      Files.createFile(dir.resolve("f" + i));
    }
    DirectorySource source = source(List.of("**"), List.of());
    assertThat(source.scanOnce()).isEqualTo(100_000);

    assertThat(assertTimeoutPreemptively(Duration.ofSeconds(60), source::scanOnce)).isZero();
  }

  @Test
  void aRestartedSourceDoesNotEnqueueUnchangedFilesTheBackendStillKnows() throws Exception {
    Files.writeString(dir.resolve("a.txt"), "one");
    source(List.of("**"), List.of()).scanOnce();

    assertThat(source(List.of("**"), List.of()).scanOnce()).isZero();

    List<Job> jobs = Admin.of(backend).peek("files", "default", 10);
    assertThat(jobs).hasSize(1);
  }

  /** At a low rate the next permit may be hours away: a shutdown must not wait for it. */
  @Test
  void closeEndsAScanThatIsWaitingForARateLimitPermit() throws Exception {
    Files.writeString(dir.resolve("a.txt"), "a");
    Files.writeString(dir.resolve("b.txt"), "b");
    RateLimiterConfig slow = RateLimiterConfig.builder().permitsPerSecond(0.001).burst(1).build();
    CountDownLatch finished = new CountDownLatch(1);
    try (Producer limited = Producer.builder(backend).defaultQueue("files")
        .rateLimiter(RateLimiter.local(slow)).build()) {
      DirectorySource source = new DirectorySource(dir, List.of("**"), List.of(), Map.of(), limited,
          Duration.ZERO, finished::countDown);
      source.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> backend.queues().contains("files"));

      source.close();

      assertThat(finished.getCount()).as("scan ended by the time close() returned").isZero();
      assertThat(source.failure()).isNull();
    }
    assertThat(waiting("default")).containsExactly("a.txt");
  }

  /** One entry the walk cannot read must not keep every other file from being enqueued. */
  @Test
  void anEntryThatCannotBeReadIsReportedAfterEveryOtherFileIsEnqueued() throws Exception {
    Files.writeString(dir.resolve("a.txt"), "a");
    Files.writeString(dir.resolve("z.txt"), "z");
    // Nothing can open a path longer than PATH_MAX (4096 bytes on Linux) by its name, not even
    // root; two trees of half that depth, one moved into the other, make one.
    Path upper = nested(dir.resolve("deep"));
    Path lower = nested(dir.resolve("lower"));
    Files.writeString(lower.resolve("too-deep.txt"), "x");
    Path moved = Files.move(dir.resolve("lower"), upper.resolve("lower"));
    try {
      assertThatThrownBy(source(List.of("**"), List.of())::scanOnce)
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageStartingWith("cannot scan " + dir + ": deep/")
          .hasMessageEndingWith(": File name too long");
      assertThat(waiting("default")).containsExactly("a.txt", "z.txt");
    } finally {
      Files.move(moved, dir.resolve("lower")); // for the clean-up, which cannot open such a path either
    }
  }

  private static Path nested(Path top) throws Exception {
    Path leaf = top;
    for (int level = 0; level < 14; level++) {
      leaf = leaf.resolve("d".repeat(160));
    }
    return Files.createDirectories(leaf);
  }

  /** The payload is the path as text: a name that is not valid text would make a job for no file. */
  @Test
  void aFileWhoseNameIsNotValidTextIsReportedInsteadOfEnqueued() throws Exception {
    Files.writeString(dir.resolve("a.txt"), "a");
    Process touch = new ProcessBuilder("/bin/sh", "-c", "printf x > \"$(printf 'bad\\377name.txt')\"")
        .directory(dir.toFile()).inheritIO().start();
    assertThat(touch.waitFor()).isZero();

    assertThatThrownBy(source(List.of("**"), List.of())::scanOnce)
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageStartingWith("cannot scan " + dir + ": bad")
        .hasMessageEndingWith("name.txt: its name is not valid in the file name encoding "
            + System.getProperty("sun.jnu.encoding"));
    assertThat(waiting("default")).containsExactly("a.txt");
  }

  @Test
  void filesAndDirectoriesThatVanishWhileTheScanWalksAreSkipped() throws Exception {
    Files.writeString(dir.resolve("a.txt"), "a");
    Path churn = Files.createDirectories(dir.resolve("churn"));
    AtomicBoolean churning = new AtomicBoolean(true);
    Thread churner = new Thread(() -> {
      while (churning.get()) {
        try {
          for (int i = 0; i < 500; i++) {
            Files.writeString(Files.createDirectories(churn.resolve("d" + i % 10)).resolve("f" + i), "f");
          }
          for (int i = 0; i < 500; i++) {
            Files.delete(churn.resolve("d" + i % 10).resolve("f" + i));
          }
          for (int i = 0; i < 10; i++) {
            Files.delete(churn.resolve("d" + i));
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    });
    churner.start();
    try {
      DirectorySource source = source(List.of("**"), List.of("churn/**"));
      for (int scan = 0; scan < 300; scan++) {
        source.scanOnce();
      }
    } finally {
      churning.set(false);
      churner.join();
    }
    assertThat(waiting("default")).containsExactly("a.txt");
  }
}
