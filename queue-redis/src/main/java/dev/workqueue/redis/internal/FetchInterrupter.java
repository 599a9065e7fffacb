package dev.workqueue.redis.internal;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the server-side wait of a fetch whose thread is interrupted. A thread blocked in a socket
 * read does not notice an interrupt, so a blocked fetch would otherwise keep waiting (and keep its
 * consumer's shutdown waiting) until BLPOP times out. Each blocked fetch therefore also waits on
 * a list of its own; a watcher thread looks at the blocked fetches' threads every {@link
 * #CHECK_INTERVAL} and pushes a token onto the list of each interrupted one, which returns its
 * BLPOP at once. The watcher runs only while fetches are blocked and parks otherwise.
 */
public final class FetchInterrupter implements AutoCloseable {
  /** How often the watcher looks for interrupted threads while fetches are blocked. */
  public static final Duration CHECK_INTERVAL = Duration.ofMillis(50);

  private static final Logger log = LoggerFactory.getLogger(FetchInterrupter.class);

  private final Consumer<byte[]> pushToken;
  private final String instance = Long.toHexString(ThreadLocalRandom.current().nextLong());
  private final AtomicLong sequence = new AtomicLong();
  private final Set<Blocked> blocked = ConcurrentHashMap.newKeySet();
  private final Object watcherLock = new Object();
  private Thread watcher;
  private volatile boolean watcherParked;
  private volatile boolean closed;

  /**
   * @param pushToken pushes a token onto the given interrupt list (with an expiry, as a token pushed
   *     just after its fetch returned is never popped)
   */
  public FetchInterrupter(Consumer<byte[]> pushToken) {
    this.pushToken = pushToken;
  }

  /** A name unique to one blocked wait, the suffix of its interrupt list's key. */
  public String nextWaitId() {
    return instance + "-" + sequence.incrementAndGet();
  }

  /**
   * Registers the calling thread as blocked on {@code interruptList} until the returned handle
   * is closed.
   */
  public Blocked blocking(byte[] interruptList) {
    Blocked wait = new Blocked(Thread.currentThread(), interruptList);
    blocked.add(wait);
    startOrWakeWatcher();
    return wait;
  }

  private void startOrWakeWatcher() {
    synchronized (watcherLock) {
      if (closed) {
        return;
      }
      if (watcher == null) {
        watcher = new Thread(this::watch, "workqueue-redis-fetch-interrupter");
        watcher.setDaemon(true);
        watcher.start();
        return;
      }
    }
    if (watcherParked) {
      LockSupport.unpark(watcher);
    }
  }

  private void watch() {
    while (!closed) {
      if (blocked.isEmpty()) {
        watcherParked = true;
        // A fetch registered between the check and this flag has seen the flag unset, so look again.
        if (blocked.isEmpty()) {
          LockSupport.park(this);
        }
        watcherParked = false;
        continue;
      }
      for (Blocked wait : blocked) {
        if (!wait.woken && wait.thread.isInterrupted()) {
          wait.woken = true;
          wakeUp(wait);
        }
      }
      LockSupport.parkNanos(this, CHECK_INTERVAL.toNanos());
    }
  }

  private void wakeUp(Blocked wait) {
    try {
      pushToken.accept(wait.interruptList);
    } catch (RuntimeException e) {
      // The fetch then waits out its BLPOP timeout, as it would without this watcher.
      log.debug("could not wake an interrupted fetch: {}", e.getMessage());
    }
  }

  /** Stops the watcher; blocked fetches are no longer woken early. */
  @Override
  public void close() {
    Thread stopping;
    synchronized (watcherLock) {
      closed = true;
      stopping = watcher;
    }
    if (stopping != null) {
      LockSupport.unpark(stopping);
    }
  }

  /** One fetch's wait; closing it ends the registration. */
  public final class Blocked implements AutoCloseable {
    private final Thread thread;
    private final byte[] interruptList;
    /** Read and written by the watcher thread only. */
    private boolean woken;

    private Blocked(Thread thread, byte[] interruptList) {
      this.thread = thread;
      this.interruptList = interruptList;
    }

    @Override
    public void close() {
      blocked.remove(this);
    }
  }
}
