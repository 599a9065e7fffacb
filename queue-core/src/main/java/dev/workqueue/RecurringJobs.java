package dev.workqueue;

import dev.workqueue.internal.Names;
import dev.workqueue.internal.Problems;
import dev.workqueue.internal.RateLimitedWarning;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueues jobs on a schedule, like sidekiq-cron, BullMQ's repeatable jobs and Asynq's scheduler.
 * Each entry has a name, a {@link Trigger} and a template job. Every process of a deployment may
 * run the same entries: a run enqueues its job with the idempotency key {@code
 * recurring:<name>:<due time in epoch ms>}, so the backend stores one job per due time however
 * many processes enqueue it (within the producer's idempotency TTL, which must outlast the clock
 * differences between the processes).
 *
 * <p>Runs missed while no process was running, or while this one was held up, are not made up:
 * a late scheduler enqueues the run that fell due first and goes on with the next one after the
 * present, as cron does. While the backend cannot be reached, a run is retried every second until
 * the next run falls due, then given up with an error in the log, and the next one is tried. One daemon
 * thread does the work, looking at the clock at least twice a second: a clock set forward is
 * followed like a late wake-up, and after a clock set back every entry's next due time is taken
 * from the clock again.
 *
 * <pre>{@code
 * RecurringJobs recurring = RecurringJobs.builder(producer)
 *     .add("cleanup", Trigger.every(Duration.ofMinutes(15)),
 *         NewJob.builder("{}").queue("maintenance").build())
 *     .build();
 * recurring.start(); // close() on shutdown
 * }</pre>
 */
public final class RecurringJobs implements AutoCloseable {
  /** Prefix of the idempotency key of each run: {@value}, then the name, {@code :} and the due time. */
  public static final String KEY_PREFIX = "recurring:";
  private static final Logger log = LoggerFactory.getLogger(RecurringJobs.class);
  /** Longest the thread sleeps between looks at the clock. */
  private static final Duration LONGEST_NAP = Duration.ofMillis(500);
  /** Pause between tries of a run while the backend cannot be reached. */
  private static final Duration RETRY_PAUSE = Duration.ofSeconds(1);

  private final Producer producer;
  private final Clock clock;
  private final List<Entry> entries;
  private final RateLimitedWarning unavailable = new RateLimitedWarning(Duration.ofSeconds(10));
  private final RateLimitedWarning givenUp = new RateLimitedWarning(Duration.ofSeconds(10));
  private final Object lock = new Object();
  private Thread thread;
  private boolean closed;

  private RecurringJobs(Builder builder) {
    this.producer = builder.producer;
    this.clock = builder.clock;
    this.entries = builder.entries.stream().map(Entry::copy).toList();
  }

  /** Starts a schedule whose runs {@code producer} enqueues; the producer is not closed with it. */
  public static Builder builder(Producer producer) {
    return new Builder(producer);
  }

  /**
   * Starts the thread that enqueues the runs. The first run of each entry is the first due time
   * after this call.
   *
   * @throws IllegalStateException if already started or closed
   */
  public void start() {
    synchronized (lock) {
      if (thread != null || closed) {
        throw new IllegalStateException(
            closed ? "recurring jobs are closed" : "recurring jobs already started");
      }
      Instant now = clock.instant();
      entries.forEach(entry -> entry.next = entry.nextAfter(now));
      // The loop compares its first look with this one, so a clock set back before it starts counts.
      thread = new Thread(() -> loop(now), "workqueue-recurring");
      thread.setDaemon(true);
      thread.start();
    }
  }

  /** Stops enqueueing and waits for a run being enqueued to finish. Idempotent. */
  @Override
  public void close() {
    Thread running;
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
      running = thread;
    }
    if (running != null && running != Thread.currentThread()) {
      try {
        running.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void loop(Instant startedAt) {
    Instant lastLook = startedAt;
    while (true) {
      Instant now = clock.instant();
      if (now.isBefore(lastLook)) {
        // Due times computed before the clock went back would hold every entry back by the jump.
        for (Entry entry : entries) {
          entry.next = entry.nextAfter(now);
          entry.retryAt = null;
        }
      }
      lastLook = now;
      Instant wake = now.plus(LONGEST_NAP);
      for (Entry entry : entries) {
        if (isClosed()) {
          return;
        }
        Instant at = entry.attemptAt();
        if (at != null && !at.isAfter(now)) {
          enqueueDue(entry, now);
          at = entry.attemptAt();
        }
        if (at != null && at.isBefore(wake)) {
          wake = at;
        }
      }
      synchronized (lock) {
        if (closed) {
          return;
        }
        long napMillis = Math.max(1, Duration.between(now, wake).toMillis());
        try {
          lock.wait(napMillis);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** Enqueues the run of {@code entry} due at {@code entry.next}, which is not after {@code now}. */
  private void enqueueDue(Entry entry, Instant now) {
    Instant due = entry.next;
    entry.retryAt = null;
    try {
      EnqueueResult result = producer.enqueue(entry.runOf(due));
      log.debug("recurring job {} due at {}: job {} ({})", entry.name, due, result.jobId(),
          result.created() ? "enqueued" : "enqueued already by another scheduler");
      entry.next = entry.nextAfter(now);
    } catch (BackendUnavailableException e) {
      Instant following = entry.nextAfter(due);
      if (following != null && now.isBefore(following)) {
        unavailable.warn(log, "could not enqueue recurring job {} due at {}, retrying every {} until {}: {}",
            entry.name, due, RETRY_PAUSE, following, e.getMessage());
        entry.retryAt = now.plus(RETRY_PAUSE);
        return;
      }
      if (givenUp.due()) {
        log.error("gave up the run of recurring job {} due at {}: the backend could not be reached "
            + "before the next run fell due (further runs given up are not logged for 10 s)", entry.name,
            due, e);
      }
      // The next run is due already; it is tried at once, and retried or given up in turn.
      entry.next = following;
    } catch (RuntimeException e) {
      log.error("could not enqueue recurring job {} due at {}; skipping this run", entry.name, due, e);
      entry.next = entry.nextAfter(now);
    }
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /** One named entry; {@code next} is read and written by the schedule's thread only after start. */
  private static final class Entry {
    final String name;
    final Trigger trigger;
    final NewJob template;
    /** The due time of the next run, null once the trigger has no more. */
    Instant next;
    /** When the run due at {@code next} is tried again after the backend could not be reached. */
    Instant retryAt;

    Entry(String name, Trigger trigger, NewJob template) {
      this.name = name;
      this.trigger = trigger;
      this.template = template;
    }

    Entry copy() {
      return new Entry(name, trigger, template);
    }

    /** When the next try of a run is due: its due time, or later while it waits for a retry. */
    Instant attemptAt() {
      return next != null && retryAt != null && retryAt.isAfter(next) ? retryAt : next;
    }

    /** The trigger's next time; null, which ends the entry, when the trigger fails. */
    Instant nextAfter(Instant after) {
      try {
        return trigger.nextAfter(after);
      } catch (RuntimeException e) {
        log.error("recurring job {} stops: its trigger failed after {}", name, after, e);
        return null;
      }
    }

    NewJob runOf(Instant due) {
      return new NewJob(template.payload(), template.queue(), template.priority(), null, null,
          template.delay(), template.maxAttempts(), KEY_PREFIX + name + ":" + due.toEpochMilli(),
          template.headers());
    }
  }

  /** Builds {@link RecurringJobs}; {@link #build()} validates and leaves the builder reusable. */
  public static final class Builder {
    private final Producer producer;
    private final List<Entry> entries = new ArrayList<>();
    private Clock clock = Clock.systemUTC();

    private Builder(Producer producer) {
      this.producer = producer;
    }

    /**
     * Adds an entry: a run of {@code template} at every time {@code trigger} gives. The name must
     * be 1 to 128 characters of letters, digits, '.', '_', ':' or '-', and unique in the schedule;
     * processes sharing a backend must give the same entry the same name. The template has no id,
     * idempotency key or run-at (each run gets its own); a delay, a queue, a priority, headers and
     * max attempts are kept.
     */
    public Builder add(String name, Trigger trigger, NewJob template) {
      entries.add(new Entry(name, trigger, template));
      return this;
    }

    /** The clock due times are read from; default the UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * A new, unstarted schedule with this builder's entries.
     *
     * @throws InvalidConfigurationException naming every invalid argument
     */
    public RecurringJobs build() {
      Problems problems = new Problems("recurring jobs")
          .notNull(producer, "producer")
          .notNull(clock, "clock");
      Set<String> names = new HashSet<>();
      for (Entry entry : entries) {
        String what = "entry " + Problems.describe(entry.name);
        problems.check(Names.isValid(entry.name), "name", Names.RULE, entry.name)
            .check(names.add(entry.name), "name", "unique in the schedule", entry.name)
            .check(entry.trigger != null, what + " trigger", "set", null)
            .check(entry.template != null, what + " template", "set", null);
        if (entry.template != null) {
          problems.check(entry.template.id() == null, what + " template id",
              "unset (each run gets an id of its own)", entry.template.id())
              .check(entry.template.idempotencyKey() == null, what + " template idempotencyKey",
                  "unset (each run is keyed by its name and due time)", entry.template.idempotencyKey())
              .check(entry.template.runAt() == null, what + " template runAt",
                  "unset (give a delay to run later than due)", entry.template.runAt())
              .check(entry.template.queue() == null || Names.isValid(entry.template.queue()),
                  what + " template queue", Names.RULE, entry.template.queue())
              .check(entry.template.priority() == null || Names.isValid(entry.template.priority()),
                  what + " template priority", Names.RULE, entry.template.priority());
        }
      }
      problems.throwIfAny();
      return new RecurringJobs(this);
    }
  }
}
