package dev.workqueue.runner.internal;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns SIGTERM and SIGINT into a graceful stop with exit status 0. The JVM runs shutdown hooks
 * on those signals; the hook installed here wakes the main thread (which is waiting in
 * {@link #awaitStopRequest()}), waits for it to finish its orderly shutdown, and then ends the
 * process with the status the main thread reported — otherwise the JVM would exit with 143 or
 * 130. When the process ends on its own, the main thread reports its status before calling
 * {@code System.exit}, and the hook has nothing left to wait for.
 */
public final class ShutdownSignal {
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);
  private final Duration maxWait;
  private volatile int exitStatus = 1;

  private ShutdownSignal(Duration maxWait) {
    this.maxWait = maxWait;
  }

  /**
   * Installs the hook.
   *
   * @param maxWait how long the hook waits for the orderly shutdown before ending the process
   *     with status 1 anyway
   */
  public static ShutdownSignal install(Duration maxWait) {
    ShutdownSignal signal = new ShutdownSignal(maxWait);
    Runtime.getRuntime().addShutdownHook(new Thread(signal::onShutdown, "workqueue-runner-shutdown"));
    return signal;
  }

  private void onShutdown() {
    stopRequested.countDown();
    try {
      if (!finished.await(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
        exitStatus = 1;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(exitStatus);
  }

  /** Blocks until a signal asks the process to stop. */
  public void awaitStopRequest() throws InterruptedException {
    stopRequested.await();
  }

  /** Whether a signal, or {@link #requestStop()}, has asked the process to stop. */
  public boolean isStopRequested() {
    return stopRequested.getCount() == 0;
  }

  /** Asks the main thread to stop, as a signal would: for work that ends on its own. */
  public void requestStop() {
    stopRequested.countDown();
  }

  /** Records that the orderly shutdown is complete and the status the process ends with. */
  public void finished(int status) {
    exitStatus = status;
    finished.countDown();
  }
}
