package dev.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.event.JobEnqueuedEvent;
import dev.workqueue.event.JobsEnqueueFailedEvent;
import dev.workqueue.memory.InMemoryQueueBackend;
import dev.workqueue.spi.FetchRequest;
import dev.workqueue.spi.LeasedJob;
import dev.workqueue.spi.QueueObserver;
import dev.workqueue.spi.Settlement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProducerTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
  private final InMemoryQueueBackend backend = InMemoryQueueBackend.builder().clock(clock).build();

  @AfterEach
  void close() {
    backend.close();
  }

  @Test
  void builderReportsEveryInvalidArgumentAtOnce() {
    assertThatThrownBy(() -> Producer.builder(null).defaultQueue("").defaultPriority("a b")
            .maxPayloadBytes(0).idempotencyTtl(Duration.ZERO).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .satisfies(e -> assertThat(((InvalidConfigurationException) e).problems()).containsExactly(
            "backend must be set, but was null",
            "defaultQueue must be 1 to 128 characters of letters, digits, '.', '_', ':' or '-', but was \"\"",
            "defaultPriority must be 1 to 128 characters of letters, digits, '.', '_', ':' or '-', but was \"a b\"",
            "maxPayloadBytes must be between 1 and 536870912 (512 MiB), but was 0",
            "idempotencyTtl must be a positive duration of at most 3650 days, but was PT0S"));
  }

  @Test
  void maxPayloadBytesIsAtMost512MiB() {
    assertThat(Producer.builder(backend).maxPayloadBytes(Producer.LARGEST_MAX_PAYLOAD_BYTES).build())
        .isNotNull();
    assertThatThrownBy(() -> Producer.builder(backend).maxPayloadBytes(Integer.MAX_VALUE).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining(
            "maxPayloadBytes must be between 1 and 536870912 (512 MiB), but was 2147483647");
  }

  @Test
  void idempotencyTtlBeyondTenYearsIsRefusedAndTheLongestStillDeduplicates() {
    // A TTL of Long.MAX_VALUE ms overflowed when added to the time: the key expired at once.
    Duration forever = Duration.ofMillis(Long.MAX_VALUE);
    assertThatThrownBy(() -> Producer.builder(backend).idempotencyTtl(forever).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage("invalid producer: idempotencyTtl must be a positive duration of at most 3650 days, "
            + "but was " + forever);
    Producer producer = Producer.builder(backend).idempotencyTtl(Producer.MAX_IDEMPOTENCY_TTL).clock(clock)
        .build();

    String first = producer.enqueue(NewJob.builder("a").idempotencyKey("order-1").build()).jobId();
    ackNextJob();
    clock.advance(Duration.ofDays(3649));

    assertThat(producer.enqueue(NewJob.builder("b").idempotencyKey("order-1").build()))
        .isEqualTo(new EnqueueResult(first, false));
  }

  @Test
  void jobsTakeTheProducerDefaultsAndAGeneratedId() {
    Producer producer = Producer.builder(backend).defaultQueue("mail").defaultPriority("low").clock(clock).build();

    String id = producer.enqueue("hello").jobId();

    Job job = backend.peek("mail", "low", 1).get(0);
    assertThat(job.id()).isEqualTo(id).hasSize(32);
    assertThat(job.createdAt()).isEqualTo(clock.instant());
    assertThat(job.runAt()).isEqualTo(clock.instant());
    assertThat(job.attempt()).isZero();
  }

  @Test
  void oversizedPayloadIsRefusedAndNothingIsEnqueued() {
    Producer producer = Producer.builder(backend).maxPayloadBytes(4).build();

    assertThatThrownBy(() -> producer.enqueueAll(List.of(NewJob.of("ok"), NewJob.of("too long"))))
        .isInstanceOf(PayloadTooLargeException.class)
        .hasMessage("payload must be at most maxPayloadBytes = 4 bytes, but was 8 bytes");
    assertThat(backend.queues()).isEmpty();
  }

  @Test
  void malformedQueueNameIsRefusedWithTheRule() {
    Producer producer = Producer.builder(backend).build();
    assertThatThrownBy(() -> producer.enqueue(NewJob.builder("x").queue("no{braces}").build()))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("queue must be 1 to 128 characters of letters, digits, '.', '_', ':' or '-', but was \"no{braces}\"");
  }

  @Test
  void refusedNamesAreQuotedWithTheirControlCharactersEscaped() {
    Producer producer = Producer.builder(backend).build();

    assertThatThrownBy(() -> producer.enqueue(NewJob.builder("x").queue("a\u001b[2J\nb").build()))
        .hasMessageEndingWith("but was \"a\\u001b[2J\\nb\"");
    assertThatThrownBy(() -> producer.enqueue(NewJob.builder("x").priority("\r").build()))
        .hasMessageEndingWith("but was \"\\r\"");
    assertThatThrownBy(() -> Producer.builder(backend).defaultQueue("q\u0007").build())
        .hasMessageContaining("but was \"q\\u0007\"");
  }

  @Test
  void oneIdGivenToTwoJobsOfACallIsRefusedAndNothingIsEnqueued() {
    Producer producer = Producer.builder(backend).build();

    assertThatThrownBy(() -> producer.enqueueAll(List.of(NewJob.builder("a").id("report-7").build(),
            NewJob.builder("b").id("report-8").build(), NewJob.builder("c").id("report-7").build())))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("id \"report-7\" is given to more than one job of this call; give each job its own id, "
            + "or use an idempotency key to enqueue a job once");
    assertThat(backend.queues()).isEmpty();
  }

  @Test
  void delayedJobRunsAfterItsDelayFromTheProducerClock() {
    Producer producer = Producer.builder(backend).clock(clock).build();

    producer.enqueue(NewJob.builder("later").delay(Duration.ofMinutes(5)).build());

    assertThat(backend.peekDelayed(Producer.DEFAULT_QUEUE, 1).get(0).runAt())
        .isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
  }

  @Test
  void runAtAndDelayCannotBeCombined() {
    assertThatThrownBy(() -> NewJob.builder("x").delay(Duration.ofSeconds(1)).runAt(Instant.now()).build())
        .hasMessage("runAt cannot be combined with delay");
  }

  @Test
  void sameIdempotencyKeyEnqueuesOnce() {
    Producer producer = Producer.builder(backend).build();
    EnqueueResult first = producer.enqueue(NewJob.builder("a").idempotencyKey("order-1").build());
    EnqueueResult second = producer.enqueue(NewJob.builder("b").idempotencyKey("order-1").build());

    assertThat(second).isEqualTo(new EnqueueResult(first.jobId(), false));
    assertThat(backend.stats(Producer.DEFAULT_QUEUE).totalWaiting()).isEqualTo(1);
  }

  @Test
  void aJobIdGivenTwiceToOneQueueStoresOneJobWhileTheJobIsKnown() {
    Producer producer = Producer.builder(backend).clock(clock).idempotencyTtl(Duration.ofHours(1)).build();
    EnqueueResult first = producer.enqueue(NewJob.builder("a").id("invoice-7").build());
    EnqueueResult again = producer.enqueue(NewJob.builder("b").id("invoice-7").build());
    EnqueueResult elsewhere = producer.enqueue(NewJob.builder("c").id("invoice-7").queue("other").build());

    assertThat(first).isEqualTo(new EnqueueResult("invoice-7", true));
    assertThat(again).isEqualTo(new EnqueueResult("invoice-7", false));
    assertThat(elsewhere).isEqualTo(new EnqueueResult("invoice-7", true));
    assertThat(backend.peek(Producer.DEFAULT_QUEUE, Producer.DEFAULT_PRIORITY, 10))
        .singleElement().satisfies(job -> {
          assertThat(job.payloadAsString()).isEqualTo("a");
          assertThat(job.idempotencyKey()).isEqualTo(NewJob.ID_KEY_PREFIX + "invoice-7");
        });

    clock.advance(Duration.ofHours(2));
    assertThat(producer.enqueue(NewJob.builder("d").id("invoice-7").build()).created()).isFalse();
    ackNextJob();
    clock.advance(Duration.ofMinutes(59));
    assertThat(producer.enqueue(NewJob.builder("d").id("invoice-7").build()).created()).isFalse();
    clock.advance(Duration.ofMinutes(1));
    assertThat(producer.enqueue(NewJob.builder("d").id("invoice-7").build()).created()).isTrue();
  }

  /** Takes the next job of the default queue and lane and acknowledges it. */
  private void ackNextJob() {
    try {
      LeasedJob leased = backend.fetch(new FetchRequest("test", Producer.DEFAULT_QUEUE,
          List.of(Producer.DEFAULT_PRIORITY), 1, Duration.ofMinutes(1), Duration.ZERO)).jobs().get(0);
      assertThat(backend.settle(List.of(new Settlement.Ack(leased.lease())))).containsExactly(true);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aJobsOwnIdempotencyKeyGovernsOverItsGivenId() {
    Producer producer = Producer.builder(backend).build();
    producer.enqueue(NewJob.builder("a").id("invoice-7").idempotencyKey("order-1").build());

    EnqueueResult sameKey =
        producer.enqueue(NewJob.builder("b").id("invoice-8").idempotencyKey("order-1").build());
    EnqueueResult otherKey =
        producer.enqueue(NewJob.builder("c").id("invoice-7").idempotencyKey("order-2").build());

    assertThat(sameKey).isEqualTo(new EnqueueResult("invoice-7", false));
    assertThat(otherKey).isEqualTo(new EnqueueResult("invoice-7", true));
    assertThat(backend.stats(Producer.DEFAULT_QUEUE).totalWaiting()).isEqualTo(2);
  }

  @Test
  void blankIdempotencyKeyIsRefusedAndNothingIsEnqueued() {
    Producer producer = Producer.builder(backend).build();

    for (String blank : List.of("", "  ")) {
      assertThatThrownBy(() -> producer.enqueueAll(List.of(NewJob.of("a"),
              NewJob.builder("b").idempotencyKey(blank).build())))
          .isInstanceOf(InvalidJobException.class)
          .hasMessage("idempotencyKey must be null or non-blank, but was \"" + blank + "\"");
    }
    assertThat(backend.queues()).isEmpty();
  }

  @Test
  void idsAndIdempotencyKeysWithHalfASurrogatePairAreRefusedSinceUtf8WouldMakeThemOne() {
    Producer producer = Producer.builder(backend).build();
    producer.enqueue(NewJob.builder("first").idempotencyKey("order-?").build());

    // Cut inside an emoji: stored as UTF-8 the half pair would be '?', the key above.
    assertThatThrownBy(() -> producer.enqueueAll(List.of(NewJob.of("a"),
            NewJob.builder("b").idempotencyKey("order-\uD83D").build())))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("idempotencyKey must not hold half a surrogate pair, but has one at index 6");
    assertThatThrownBy(() -> producer.enqueue(NewJob.builder("c").id("x\uDE00y").build()))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("id must not hold half a surrogate pair, but has one at index 1");
    assertThat(producer.enqueue(NewJob.builder("d").id("smile-\uD83D\uDE00").build()).created()).isTrue();
    assertThat(backend.stats(Producer.DEFAULT_QUEUE).totalWaiting()).isEqualTo(2);
  }

  @Test
  void idsWithControlCharactersAreRefusedWithTheCharactersEscaped() {
    Producer producer = Producer.builder(backend).build();

    for (String id : List.of("a\nINFO forged line", "a\u001b[2Jb")) {
      assertThatThrownBy(() -> producer.enqueue(NewJob.builder("x").id(id).build()))
          .isInstanceOf(InvalidJobException.class)
          .hasMessageStartingWith("id must be 1 to 128 non-blank characters without control characters")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "\u001b"));
    }
    assertThatThrownBy(() -> producer.enqueue(NewJob.builder("x").id("a\u001bb").build()))
        .hasMessageEndingWith("but was \"a\\u001bb\"");
    assertThat(backend.queues()).isEmpty();
  }

  @Test
  void headersBeyondTheirLimitAreRefusedAndNothingIsEnqueued() {
    Producer producer = Producer.builder(backend).build();
    String name = "trace";
    NewJob atLimit = NewJob.builder("a")
        .header(name, "x".repeat(NewJob.MAX_HEADER_CHARS - name.length())).build();
    NewJob overLimit = atLimit.withHeader("b", "");

    assertThatThrownBy(() -> producer.enqueueAll(List.of(NewJob.of("first"), overLimit)))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("headers must hold at most 65536 characters of names and values in all, but held 65537");
    assertThat(backend.queues()).isEmpty();

    producer.enqueue(atLimit);
    assertThat(backend.stats(Producer.DEFAULT_QUEUE).totalWaiting()).isEqualTo(1);
  }

  @Test
  void nullJobsAreRefusedNamingTheArgumentAndNothingIsEnqueued() {
    Producer producer = Producer.builder(backend).build();

    assertThatThrownBy(() -> producer.enqueue((NewJob) null))
        .isInstanceOf(NullPointerException.class).hasMessage("job must be set, but was null");
    assertThatThrownBy(() -> producer.enqueue((String) null))
        .isInstanceOf(NullPointerException.class).hasMessage("payload");
    assertThatThrownBy(() -> producer.enqueueAll(null))
        .isInstanceOf(NullPointerException.class).hasMessage("jobs must be set, but was null");
    assertThatThrownBy(() -> producer.enqueueAll(Arrays.asList(NewJob.of("a"), null)))
        .isInstanceOf(NullPointerException.class).hasMessage("jobs must not hold null, but jobs[1] was null");
    assertThat(backend.queues()).isEmpty();
  }

  @Test
  void closedProducerRefusesWork() {
    Producer producer = Producer.builder(backend).build();
    producer.close();
    producer.close();
    assertThatThrownBy(() -> producer.enqueue("x")).isInstanceOf(IllegalStateException.class)
        .hasMessage("producer is closed");
  }

  @Test
  void jobToStringNeverShowsThePayload() {
    Producer.builder(backend).build().enqueue("secret-token");
    assertThat(backend.peek(Producer.DEFAULT_QUEUE, Producer.DEFAULT_PRIORITY, 1).get(0).toString())
        .doesNotContain("secret-token").contains("payloadSize=12");
  }

  @Test
  void aCallTheBackendFailsReachesObserversWithItsJobsAndStillReachesTheCaller() {
    List<JobsEnqueueFailedEvent> failed = new ArrayList<>();
    QueueObserver throwing = new QueueObserver() {
      @Override
      public void onEnqueueFailed(JobsEnqueueFailedEvent event) {
        throw new IllegalStateException("observer bug");
      }
    };
    QueueObserver recording = new QueueObserver() {
      @Override
      public void onEnqueueFailed(JobsEnqueueFailedEvent event) {
        failed.add(event);
      }
    };
    Producer producer = Producer.builder(backend).observer(throwing).observer(recording).build();
    backend.close();

    List<NewJob> jobs = List.of(NewJob.of("a"), NewJob.builder("b").id("job-b").build());
    assertThatThrownBy(() -> producer.enqueueAll(jobs)).isInstanceOf(BackendClosedException.class);

    assertThat(failed).singleElement().satisfies(event -> {
      assertThat(event.jobs()).extracting(Job::payloadAsString).containsExactly("a", "b");
      assertThat(event.jobs().get(1).id()).isEqualTo("job-b");
      assertThat(event.error()).isInstanceOf(BackendClosedException.class);
      assertThat(event.unavailable()).isFalse();
    });
  }

  @Test
  void enqueueAllReachesObserversAsOneBatchAndEachJobReachesPerJobObservers() {
    List<List<String>> batches = new ArrayList<>();
    List<String> perJob = new ArrayList<>();
    QueueObserver throwing = new QueueObserver() {
      @Override
      public void onEnqueuedBatch(List<JobEnqueuedEvent> events) {
        throw new IllegalStateException("observer bug");
      }
    };
    QueueObserver batching = new QueueObserver() {
      @Override
      public void onEnqueuedBatch(List<JobEnqueuedEvent> events) {
        batches.add(events.stream().map(event -> event.job().payloadAsString() + ":" + event.created()).toList());
      }
    };
    QueueObserver counting = new QueueObserver() {
      @Override
      public void onEnqueued(JobEnqueuedEvent event) {
        perJob.add(event.job().payloadAsString());
      }
    };
    Producer producer = Producer.builder(backend).observer(throwing).observer(batching).observer(counting).build();
    producer.enqueue(NewJob.builder("a").idempotencyKey("order-1").build());

    List<EnqueueResult> results = producer.enqueueAll(List.of(NewJob.of("b"),
        NewJob.builder("c").idempotencyKey("order-1").build(), NewJob.of("d")));

    assertThat(results).extracting(EnqueueResult::created).containsExactly(true, false, true);
    assertThat(batches).containsExactly(List.of("a:true"), List.of("b:true", "c:false", "d:true"));
    assertThat(perJob).containsExactly("a", "b", "c", "d");
  }

  @Test
  void aBatchAnObserverKeepsStaysAsItWasWhateverTheCallerDoesWithTheResults() {
    List<List<JobEnqueuedEvent>> kept = new ArrayList<>();
    QueueObserver keeping = new QueueObserver() {
      @Override
      public void onEnqueuedBatch(List<JobEnqueuedEvent> events) {
        kept.add(events);
      }
    };
    Producer producer = Producer.builder(backend).observer(keeping).build();
    producer.enqueue(NewJob.builder("a").idempotencyKey("order-1").build());

    List<EnqueueResult> results = producer.enqueueAll(List.of(NewJob.of("b"),
        NewJob.builder("c").idempotencyKey("order-1").build()));
    String storedId = results.get(0).jobId();
    results.replaceAll(result -> new EnqueueResult(result.jobId(), true));

    List<JobEnqueuedEvent> batch = kept.get(1);
    assertThat(batch).extracting(JobEnqueuedEvent::created).containsExactly(true, false);
    assertThat(batch).extracting(event -> event.job().payloadAsString()).containsExactly("b", "c");
    assertThat(batch.get(0).job().id()).isEqualTo(storedId);
    assertThat(batch.get(0)).isEqualTo(batch.get(0));
    assertThatThrownBy(() -> batch.remove(0)).isInstanceOf(UnsupportedOperationException.class);
  }
}
