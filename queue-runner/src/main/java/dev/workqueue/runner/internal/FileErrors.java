package dev.workqueue.runner.internal;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** What a failed file operation says, without the names of the files it failed on. */
public final class FileErrors {
  private FileErrors() {}

  /**
   * Why {@code failure} happened, never null. The JDK names files only in the file fields of a
   * {@link FileSystemException}, so its reason, or a phrase for the common kinds that carry none,
   * names no file; any other exception gives its message, or its class name without one.
   */
  public static String reason(IOException failure) {
    String reason = failure instanceof FileSystemException fileFailure ? fileFailure.getReason()
        : failure.getMessage();
    return reason != null ? reason
        : failure instanceof AccessDeniedException ? "permission denied"
        : failure instanceof NoSuchFileException ? "no such file or directory"
        : failure.getClass().getSimpleName();
  }
}
