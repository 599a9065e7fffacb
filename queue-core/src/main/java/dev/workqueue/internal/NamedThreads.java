package dev.workqueue.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Creates daemon threads named {@code workqueue-<owner>-<role>[-<n>]}. */
public final class NamedThreads implements ThreadFactory {
  private final String prefix;
  private final boolean numbered;
  private final AtomicInteger counter = new AtomicInteger();

  private NamedThreads(String prefix, boolean numbered) {
    this.prefix = prefix;
    this.numbered = numbered;
  }

  /** Threads named {@code workqueue-<owner>-<role>-<n>}, n counting from 1. */
  public static NamedThreads numbered(String owner, String role) {
    return new NamedThreads("workqueue-" + owner + "-" + role + "-", true);
  }

  /** Threads named {@code workqueue-<owner>-<role>}. */
  public static NamedThreads single(String owner, String role) {
    return new NamedThreads("workqueue-" + owner + "-" + role, false);
  }

  @Override
  public Thread newThread(Runnable task) {
    Thread thread = new Thread(task, numbered ? prefix + counter.incrementAndGet() : prefix);
    thread.setDaemon(true);
    return thread;
  }
}
