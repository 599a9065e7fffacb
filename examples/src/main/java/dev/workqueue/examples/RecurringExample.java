package dev.workqueue.examples;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.workqueue.Consumer;
import dev.workqueue.NewJob;
import dev.workqueue.Producer;
import dev.workqueue.RecurringJobs;
import dev.workqueue.Trigger;
import dev.workqueue.memory.InMemoryQueueBackend;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Recurring jobs: one entry on a cron expression (through cron-utils, behind the library's
 * {@link Trigger}) and one every 3 seconds. Two schedules run the same entries, as two processes
 * of a deployment would, and each run is still processed once. Prints the runs for about ten
 * seconds.
 *
 * <p>Run: {@code ./mvnw -q -pl examples exec:java -Dexec.mainClass=dev.workqueue.examples.RecurringExample}
 */
public final class RecurringExample {
  private RecurringExample() {}

  /**
   * A trigger on a Quartz cron expression (with seconds) in {@code zone}; {@code CronType.UNIX}
   * takes the five-field form.
   */
  static Trigger cron(String expression, ZoneId zone) {
    ExecutionTime times = ExecutionTime.forCron(
        new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.QUARTZ)).parse(expression));
    // cron-utils keeps the fraction of a second it is given; due times must not depend on it.
    return after -> times.nextExecution(after.truncatedTo(ChronoUnit.SECONDS).atZone(zone))
        .map(ZonedDateTime::toInstant).orElse(null);
  }

  /** Runs the example; takes no arguments. */
  public static void main(String[] args) throws InterruptedException {
    try (InMemoryQueueBackend backend = InMemoryQueueBackend.create();
        Producer producer = Producer.builder(backend).defaultQueue("scheduled").build()) {
      CountDownLatch runs = new CountDownLatch(6);
      Consumer consumer = Consumer.builder(backend, job -> {
            System.out.printf("ran %-22s key %s%n", job.payloadAsString(), job.idempotencyKey());
            runs.countDown();
          })
          .queue("scheduled")
          .build();
      consumer.start();

      RecurringJobs.Builder entries = RecurringJobs.builder(producer)
          .add("every-2s-by-cron", cron("*/2 * * * * ?", ZoneId.of("UTC")),
              NewJob.of("cron: every 2 seconds"))
          .add("every-3s", Trigger.every(Duration.ofSeconds(3)), NewJob.of("every 3 seconds"));
      try (RecurringJobs one = entries.build(); RecurringJobs other = entries.build()) {
        one.start();
        other.start();
        if (!runs.await(30, TimeUnit.SECONDS)) {
          System.out.println("fewer runs than expected in 30 seconds");
        }
      }
      consumer.close();
    }
  }
}
