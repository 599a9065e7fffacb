package dev.workqueue.examples;

import dev.workqueue.Consumer;
import dev.workqueue.Job;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.redis.RedisQueueBackend;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.clients.jedis.RedisClient;

/**
 * Measures the Redis backend end to end through the public API and prints: enqueue rate (single
 * calls and batches), processing rate of a no-op handler at concurrency 1, 16 and 64 from a
 * filled queue, the rate one producer and one consumer sustain together, idle pickup latency,
 * end-to-end latency at an offered 1,000 jobs/s and at 80% of the rate sustained together, and
 * Redis calls and Redis CPU per job. Payloads are 1 to 100 bytes (4 in the latency runs).
 *
 * <p>Run (after {@code ./mvnw -q install -DskipTests}):
 * {@code ./mvnw -q -pl examples compile exec:java -Dexec.mainClass=dev.workqueue.examples.RedisBenchmark}.
 * It starts its own {@code redis-server} without persistence on a free loopback port, or uses the
 * server at {@code REDIS_URL} (keys go to a fresh namespace there and are left behind).
 */
public final class RedisBenchmark {
  private static final String QUEUE = "bench";
  private static final int ENQUEUE_SINGLE_JOBS = 20_000;
  private static final int ENQUEUE_BATCH_JOBS = 400_000;
  private static final int IDLE_PICKUP_JOBS = 1_000;
  private static final int TOGETHER_JOBS = 300_000;
  private static final Duration LATENCY_WARM_UP = Duration.ofSeconds(5);
  private static final Duration LATENCY_RUN = Duration.ofSeconds(10);

  private final String url;
  private final RedisClient admin;
  private String namespace;

  private RedisBenchmark(String url) {
    this.url = url;
    this.admin = RedisClient.create(url);
  }

  /** Runs the benchmark; takes no arguments. */
  public static void main(String[] args) throws Exception {
    try (BenchmarkRedis redis = BenchmarkRedis.start("--appendonly", "no")) {
      new RedisBenchmark(redis.url()).run(redis.isOwn() ? "own redis-server, no persistence" : "REDIS_URL");
    }
  }

  private void run(String server) throws Exception {
    System.out.printf("workqueue Redis benchmark: redis %s (%s), %d CPU cores seen by the JVM, "
            + "no-op handler, payloads 1-100 bytes%n",
        info("server", "redis_version"), server, Runtime.getRuntime().availableProcessors());
    System.out.println("warming up ...");
    fresh();
    enqueueBatches(100_000);
    process(100_000, 16);

    fresh();
    Usage before = usage();
    double single = enqueueSingle(ENQUEUE_SINGLE_JOBS);
    Usage singleUsage = usage().minus(before);
    System.out.printf("enqueue, single calls (1 thread):     %,10.0f jobs/s   %s%n", single,
        singleUsage.perJob(ENQUEUE_SINGLE_JOBS));
    before = usage();
    double batched = enqueueBatches(ENQUEUE_BATCH_JOBS);
    System.out.printf("enqueue, batches of %,d (1 thread): %,10.0f jobs/s   %s%n", Batches.SIZE, batched,
        usage().minus(before).perJob(ENQUEUE_BATCH_JOBS));

    double max = 0;
    for (int concurrency : new int[] {1, 16, 64}) {
      int jobs = concurrency == 1 ? 30_000 : 300_000;
      fresh();
      enqueueBatches(jobs);
      before = usage();
      double rate = process(jobs, concurrency);
      System.out.printf("processing, concurrency %2d:          %,10.0f jobs/s   %s%n", concurrency, rate,
          usage().minus(before).perJob(jobs));
      max = Math.max(max, rate);
    }

    fresh();
    double together = produceWhileProcessing(TOGETHER_JOBS, 64);
    System.out.printf("producer and consumer together:      %,10.0f jobs/s   (batches of %,d; "
        + "concurrency 64; max of the filled-queue runs: %,.0f)%n", together, Batches.SIZE, max);

    fresh();
    long[] pickup = idlePickup(IDLE_PICKUP_JOBS);
    System.out.printf("idle pickup, %,d jobs one at a time:  %s%n", IDLE_PICKUP_JOBS, percentiles(pickup));

    // The idle-fetch and pacing code paths are compiled by the JIT during a discarded run first;
    // the measured runs then see the steady state a long-running service sees.
    fresh();
    offered(1_000, 16, LATENCY_WARM_UP);
    fresh();
    report("end-to-end at 1,000 jobs/s offered", offered(1_000, 16, LATENCY_RUN));
    // Producer and consumer share the machine while latency is measured, so 80% is taken of the
    // rate they sustain together, not of the filled-queue processing rate.
    int eighty = (int) (together * 0.8);
    fresh();
    report(String.format("end-to-end at %,d jobs/s offered (80%% of together)", eighty),
        offered(eighty, 64, LATENCY_RUN));
    System.out.println("latency ends at the handler's start, in the same JVM; idle pickup starts at the "
        + "enqueue call; offered runs start at the enqueue call and, separately, at the job's scheduled "
        + "send time (which adds the load generator's own lateness)");
  }

  private static void report(String run, Latencies latencies) {
    System.out.printf("%s:%n  from the enqueue call:        %s%n  from the scheduled send time: %s%n", run,
        percentiles(latencies.fromCall()), percentiles(latencies.fromSchedule()));
  }

  private void fresh() {
    namespace = "bench-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private RedisQueueBackend backend() {
    return RedisQueueBackend.builder().url(url).namespace(namespace).poolSize(32).build();
  }

  private static byte[] randomPayload() {
    byte[] payload = new byte[1 + ThreadLocalRandom.current().nextInt(100)];
    ThreadLocalRandom.current().nextBytes(payload);
    return payload;
  }

  // ---- enqueue --------------------------------------------------------------------------

  private double enqueueSingle(int jobs) {
    try (RedisQueueBackend backend = backend(); Producer producer = producer(backend)) {
      long start = System.nanoTime();
      for (int i = 0; i < jobs; i++) {
        producer.enqueue(NewJob.of(randomPayload()));
      }
      return jobs * 1e9 / (System.nanoTime() - start);
    }
  }

  private double enqueueBatches(int jobs) {
    try (RedisQueueBackend backend = backend(); Producer producer = producer(backend)) {
      long start = System.nanoTime();
      Batches.enqueue(producer, jobs, i -> NewJob.of(randomPayload()));
      return jobs * 1e9 / (System.nanoTime() - start);
    }
  }

  private static Producer producer(RedisQueueBackend backend) {
    return Producer.builder(backend).defaultQueue(QUEUE).build();
  }

  // ---- processing -----------------------------------------------------------------------

  private double process(int jobs, int concurrency) throws InterruptedException {
    CountDownLatch handled = new CountDownLatch(jobs);
    try (RedisQueueBackend backend = backend();
        Consumer consumer = Consumer.builder(backend, job -> handled.countDown())
            .queue(QUEUE).concurrency(concurrency).build()) {
      long start = System.nanoTime();
      consumer.start();
      if (!handled.await(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException("processing did not finish: " + handled.getCount() + " jobs left");
      }
      // The clock stops when the last outcome is recorded, not when the last handler returned.
      while (backend.stats(QUEUE).inFlight() > 0) {
        TimeUnit.MILLISECONDS.sleep(1);
      }
      return jobs * 1e9 / (System.nanoTime() - start);
    }
  }

  /** Enqueues in batches as fast as one producer thread can while the consumer runs. */
  private double produceWhileProcessing(int jobs, int concurrency) throws InterruptedException {
    CountDownLatch handled = new CountDownLatch(jobs);
    try (RedisQueueBackend backend = backend(); Producer producer = producer(backend);
        Consumer consumer = Consumer.builder(backend, job -> handled.countDown())
            .queue(QUEUE).concurrency(concurrency).build()) {
      consumer.start();
      long start = System.nanoTime();
      Batches.enqueue(producer, jobs, i -> NewJob.of(randomPayload()));
      if (!handled.await(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException("processing did not finish: " + handled.getCount() + " jobs left");
      }
      return jobs * 1e9 / (System.nanoTime() - start);
    }
  }

  // ---- latency --------------------------------------------------------------------------

  private long[] idlePickup(int jobs) throws InterruptedException {
    Latencies latencies = new Latencies(jobs);
    Semaphore picked = new Semaphore(0);
    try (RedisQueueBackend backend = backend(); Producer producer = producer(backend);
        Consumer consumer = Consumer.builder(backend, job -> {
              latencies.started(job);
              picked.release();
            })
            .queue(QUEUE).concurrency(16).build()) {
      consumer.start();
      for (int i = 0; i < jobs; i++) {
        // Let the consumer go idle (blocked on the server) before each job.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2 + ThreadLocalRandom.current().nextInt(3)));
        latencies.called()[i] = System.nanoTime();
        producer.enqueue(NewJob.of(indexed(i)));
        if (!picked.tryAcquire(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("job " + i + " was not picked up");
        }
      }
    }
    return latencies.fromCall();
  }

  /**
   * Per job of a latency run: when it was due to be sent, when the enqueue call began, and when
   * the handler started. Each job's payload is its index here.
   */
  private record Latencies(long[] scheduled, long[] called, long[] started) {
    Latencies(int jobs) {
      this(new long[jobs], new long[jobs], new long[jobs]);
    }

    void started(Job job) {
      started[ByteBuffer.wrap(job.payload()).getInt()] = System.nanoTime();
    }

    long[] fromCall() {
      return since(called);
    }

    long[] fromSchedule() {
      return since(scheduled);
    }

    private long[] since(long[] begin) {
      long[] latencies = new long[started.length];
      Arrays.setAll(latencies, i -> started[i] - begin[i]);
      return latencies;
    }
  }

  /** Offers {@code rate} jobs per second for a while, in batches of whatever is due each tick. */
  private Latencies offered(int rate, int concurrency, Duration run) throws InterruptedException {
    int jobs = (int) (rate * run.toSeconds());
    Latencies latencies = new Latencies(jobs);
    AtomicInteger done = new AtomicInteger();
    try (RedisQueueBackend backend = backend(); Producer producer = producer(backend);
        Consumer consumer = Consumer.builder(backend, job -> {
              latencies.started(job);
              done.incrementAndGet();
            })
            .queue(QUEUE).concurrency(concurrency).build()) {
      consumer.start();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
      double interval = 1e9 / rate;
      long start = System.nanoTime();
      int sent = 0;
      List<NewJob> due = new ArrayList<>();
      while (sent < jobs) {
        long now = System.nanoTime();
        int first = sent;
        while (sent < jobs && start + (long) (sent * interval) <= now) {
          latencies.scheduled()[sent] = start + (long) (sent * interval);
          due.add(NewJob.of(indexed(sent)));
          sent++;
        }
        if (!due.isEmpty()) {
          Arrays.fill(latencies.called(), first, sent, System.nanoTime());
          producer.enqueueAll(due);
          due.clear();
        } else {
          LockSupport.parkNanos(Math.max(1_000, start + (long) (sent * interval) - now));
        }
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (done.get() < jobs && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(5);
      }
    }
    return latencies;
  }

  private static byte[] indexed(int index) {
    return ByteBuffer.allocate(4).putInt(index).array();
  }

  private static String percentiles(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format("p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.3f ms", at(sorted, 0.50),
        at(sorted, 0.95), at(sorted, 0.99), sorted[sorted.length - 1] / 1e6);
  }

  private static double at(long[] sorted, double quantile) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1e6;
  }

  // ---- Redis-side cost ------------------------------------------------------------------

  /** Redis CPU seconds and client round trips (script calls and BLPOPs) at one moment, from INFO. */
  private record Usage(double cpuSeconds, long scriptCalls, long blockingCalls) {
    Usage minus(Usage earlier) {
      return new Usage(cpuSeconds - earlier.cpuSeconds, scriptCalls - earlier.scriptCalls,
          blockingCalls - earlier.blockingCalls);
    }

    String perJob(int jobs) {
      return String.format("[redis: %.1f us CPU/job; round trips/job: %.4f EVALSHA + %.4f BLPOP]",
          cpuSeconds * 1e6 / jobs, (double) scriptCalls / jobs, (double) blockingCalls / jobs);
    }
  }

  private static final Pattern CALLS = Pattern.compile("cmdstat_(evalsha|eval|blpop):calls=(\\d+)");

  private Usage usage() {
    double cpu = Double.parseDouble(info("cpu", "used_cpu_user"))
        + Double.parseDouble(info("cpu", "used_cpu_sys"));
    long scripts = 0;
    long blocking = 0;
    Matcher matcher = CALLS.matcher(admin.info("commandstats"));
    while (matcher.find()) {
      long calls = Long.parseLong(matcher.group(2));
      if (matcher.group(1).equals("blpop")) {
        blocking += calls;
      } else {
        scripts += calls;
      }
    }
    return new Usage(cpu, scripts, blocking);
  }

  private String info(String section, String field) {
    for (String line : admin.info(section).split("\r\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1);
      }
    }
    throw new IllegalStateException("INFO " + section + " has no " + field);
  }
}
