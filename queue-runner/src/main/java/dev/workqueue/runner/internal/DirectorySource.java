package dev.workqueue.runner.internal;

import dev.workqueue.BackendUnavailableException;
import dev.workqueue.InvalidJobException;
import dev.workqueue.NewJob;
import dev.workqueue.PayloadTooLargeException;
import dev.workqueue.Producer;
import dev.workqueue.QueueException;
import dev.workqueue.internal.NamedThreads;
import dev.workqueue.internal.RateLimitedWarning;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo producer: scans a directory and enqueues one job per new or changed regular file
 * (payload: the file's absolute path), choosing the priority by extension. Hidden files and
 * directories (names starting with a dot) are skipped, as are files being written under such a
 * name. Globs match the path relative to the directory; a pattern starting with
 * {@code **}{@code /} also matches at the top level. Each job carries an idempotency key made of
 * path, size and modification time, so a restarted producer does not enqueue unchanged files
 * again while the backend remembers them.
 */
public final class DirectorySource implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DirectorySource.class);

  private final Path directory;
  private final List<PathMatcher> include;
  private final List<PathMatcher> exclude;
  private final Map<String, String> priorityByExtension;
  private final Producer producer;
  private final Duration rescanInterval;
  private final Runnable onFinished;
  private final Map<Path, FileVersion> enqueued = new HashMap<>();
  private final CountDownLatch stop = new CountDownLatch(1);
  // An outage or an unreadable directory fails every rescan; one warning per half minute says as
  // much without flooding the log.
  private final RateLimitedWarning scanWarning = new RateLimitedWarning(Duration.ofSeconds(30));
  private volatile RuntimeException lastScanFailure;
  private Thread thread;

  private record FileVersion(long size, long modifiedMillis) {}

  /**
   * @param rescanInterval pause between scans; zero scans once and finishes, also when the
   *     directory cannot be read or the backend fails an enqueue (see {@link #failure()})
   * @param onFinished called on the scanning thread when scanning has ended
   */
  public DirectorySource(Path directory, List<String> include, List<String> exclude,
      Map<String, String> priorityByExtension, Producer producer, Duration rescanInterval,
      Runnable onFinished) {
    this.directory = directory.toAbsolutePath().normalize();
    this.include = matchers(include);
    this.exclude = matchers(exclude);
    this.priorityByExtension = Map.copyOf(priorityByExtension);
    this.producer = producer;
    this.rescanInterval = rescanInterval;
    this.onFinished = onFinished;
  }

  private static List<PathMatcher> matchers(List<String> globs) {
    List<PathMatcher> matchers = new ArrayList<>();
    for (String glob : globs) {
      matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + glob));
      if (glob.startsWith("**/")) {
        matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + glob.substring(3)));
      }
    }
    return matchers;
  }

  /** Starts scanning on a thread named {@code workqueue-runner-producer}. */
  public synchronized void start() {
    thread = NamedThreads.single("runner", "producer").newThread(this::run);
    thread.start();
  }

  private void run() {
    try {
      do {
        try {
          scanOnce();
          lastScanFailure = null;
        } catch (QueueException | UncheckedIOException e) {
          if (stop.getCount() == 0) {
            // close() interrupted a request or the wait for a rate-limit permit: the scan was
            // stopped, it did not fail
            return;
          }
          lastScanFailure = e;
          if (rescanInterval.isZero()) {
            return;
          }
          scanWarning.warn(log, "{}; retrying the scan later", e.getMessage());
        }
      } while (!rescanInterval.isZero() && !stop.await(rescanInterval.toNanos(), TimeUnit.NANOSECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      onFinished.run();
    }
  }

  /**
   * Why a source that scans once finished before its scan was complete, or null: the {@link
   * QueueException} of an enqueue the backend failed (a {@link BackendUnavailableException} when it
   * could not be reached) or an {@link UncheckedIOException} for what it could not read.
   */
  public RuntimeException failure() {
    return rescanInterval.isZero() ? lastScanFailure : null;
  }

  /**
   * Why the latest scan stopped short, as {@link #failure()} says it, or null once a scan has
   * completed: a backend that answers pings but refuses enqueues (at its {@code maxmemory}, say)
   * shows here.
   */
  public RuntimeException lastScanFailure() {
    return lastScanFailure;
  }

  /**
   * Enqueues every matching file not enqueued before in its current version. Files and
   * directories that vanish while the scan walks the directory are skipped; a file whose name is
   * not valid in the JVM's file name encoding counts as unreadable, since no payload can name it.
   *
   * @return how many jobs were enqueued (files whose idempotency key the backend still knew are
   *     not counted)
   * @throws QueueException if the backend fails an enqueue for a reason that is not the file's
   *     own: it cannot be reached ({@link BackendUnavailableException}), refuses the client (a
   *     wrong password, a rejected TLS certificate) or the write (out of memory), or the wait for
   *     a rate-limit permit is interrupted; the files enqueued before are remembered
   * @throws UncheckedIOException if the directory cannot be read, or, once every other file is
   *     enqueued, if an entry below it cannot be read
   */
  public int scanOnce() {
    Listing listing = list();
    // A set to look files up in: retainAll would search the list once per known file.
    enqueued.keySet().retainAll(new HashSet<>(listing.files()));
    int count = 0;
    try {
      for (Path file : listing.files()) {
        if (stop.getCount() == 0) {
          break;
        }
        FileVersion version;
        try {
          BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
          version = new FileVersion(attributes.size(), attributes.lastModifiedTime().toMillis());
        } catch (IOException e) {
          continue;
        }
        if (version.equals(enqueued.get(file))) {
          continue;
        }
        try {
          if (producer.enqueue(job(file, version)).created()) {
            count++;
          }
          enqueued.put(file, version);
        } catch (InvalidJobException | PayloadTooLargeException e) {
          // Only these are about the file's job; any other failure fails the whole scan, since it
          // would fail every later file the same way.
          log.warn("could not enqueue {}: {}", directory.relativize(file), e.getMessage());
        }
      }
    } finally {
      if (count > 0) {
        log.info("enqueued {} new or changed files from {}", count, directory);
      }
    }
    if (!listing.unreadable().isEmpty()) {
      IOException first = listing.unreadable().get(0);
      int more = listing.unreadable().size() - 1;
      throw new UncheckedIOException("cannot scan " + directory + ": " + describe(first)
          + (more == 0 ? "" : " (and " + more + " more entries that cannot be read)"), first);
    }
    return count;
  }

  /** The matching regular files, sorted, and what could not be read below the directory. */
  private record Listing(List<Path> files, List<IOException> unreadable) {}

  private Listing list() {
    Path start;
    try {
      // The walk would not enter a start that is a symbolic link, and the directory often is one
      // (to a mounted volume, say): walk its target, and name what is found under the directory.
      start = Files.isSymbolicLink(directory) ? directory.toRealPath() : directory;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot scan " + directory + ": " + describe(e), e);
    }
    List<Path> files = new ArrayList<>();
    List<IOException> unreadable = new ArrayList<>();
    // Unlike Files.walk, which ends at the first entry it cannot read, the visitor goes on past
    // entries that vanish meanwhile (common in a directory that is being written to) and past
    // those that cannot be read, so that one such entry does not hold back every other file.
    FileVisitor<Path> visitor = new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path subdirectory, BasicFileAttributes attributes) {
        // rsync --delay-updates, for one, stages finished files in a hidden directory (.~tmp~)
        // and renames them into place afterwards; they are picked up under their final name.
        return subdirectory.equals(start) || !hidden(subdirectory) ? FileVisitResult.CONTINUE
            : FileVisitResult.SKIP_SUBTREE;
      }

      @Override
      public FileVisitResult visitFile(Path found, BasicFileAttributes attributes) {
        boolean regular = attributes.isRegularFile()
            || attributes.isSymbolicLink() && Files.isRegularFile(found);
        Path file = directory.resolve(start.relativize(found));
        if (!regular || !matches(file)) {
          return FileVisitResult.CONTINUE;
        }
        // The payload is the path as text, which names another file, or none, when the name's
        // bytes are not valid in the encoding the JVM decodes file names with.
        if (nameIsText(file)) {
          files.add(file);
        } else {
          unreadable.add(new FileSystemException(file.toString(), null,
              "its name is not valid in the file name encoding " + System.getProperty("sun.jnu.encoding")));
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        return skip(file, e);
      }

      @Override
      public FileVisitResult postVisitDirectory(Path subdirectory, IOException e) throws IOException {
        return e == null ? FileVisitResult.CONTINUE : skip(subdirectory, e);
      }

      private FileVisitResult skip(Path entry, IOException e) throws IOException {
        if (entry.equals(start)) {
          throw e;
        }
        if (!(e instanceof NoSuchFileException)) {
          unreadable.add(e);
        }
        return FileVisitResult.CONTINUE;
      }
    };
    try {
      Files.walkFileTree(start, visitor);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot scan " + directory + ": " + describe(e), e);
    }
    files.sort(null);
    return new Listing(files, unreadable);
  }

  /**
   * What went wrong, and where when below the directory: {@code sub/locked: permission denied}.
   * A {@link FileSystemException} often has a file and no reason, so its message names no cause.
   */
  private String describe(IOException e) {
    if (!(e instanceof FileSystemException failure) || failure.getFile() == null) {
      return e.getMessage();
    }
    String reason = FileErrors.reason(failure);
    // The file as text, not parsed back into a path, which fails for a name that is not valid text
    String file = failure.getFile();
    String top = directory.toString();
    return file.equals(top) ? reason
        : (file.startsWith(top + File.separator) ? file.substring(top.length() + 1) : file) + ": " + reason;
  }

  private static boolean nameIsText(Path file) {
    try {
      return file.getFileSystem().getPath(file.toString()).equals(file);
    } catch (InvalidPathException e) {
      return false; // the text holds a replacement character the encoding cannot write back
    }
  }

  private static boolean hidden(Path entry) {
    return entry.getFileName().toString().startsWith(".");
  }

  private boolean matches(Path file) {
    Path relative = directory.relativize(file);
    return !hidden(file)
        && include.stream().anyMatch(matcher -> matcher.matches(relative))
        && exclude.stream().noneMatch(matcher -> matcher.matches(relative));
  }

  private NewJob job(Path file, FileVersion version) {
    NewJob.Builder job = NewJob.builder(file.toString())
        .idempotencyKey("file:" + file + ":" + version.size() + ":" + version.modifiedMillis());
    String priority = priorityByExtension.get(extension(file));
    if (priority != null) {
      job.priority(priority);
    }
    return job.build();
  }

  private static String extension(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  /** Stops scanning and waits for the scan in progress to end. Idempotent. */
  @Override
  public void close() {
    stop.countDown();
    Thread running;
    synchronized (this) {
      running = thread;
    }
    if (running != null) {
      // At a low rate the next permit may be minutes away; the shutdown must not wait for it.
      running.interrupt();
      try {
        running.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
