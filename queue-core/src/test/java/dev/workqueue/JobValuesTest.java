package dev.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The value types {@link NewJob} and {@link Job}: copies, defaults and views. */
class JobValuesTest {
  private static final byte[] PAYLOAD = {1, 2, 3};

  @Test
  void aNullHeaderNameOrValueIsNamedInsteadOfAnUnexplainedNullPointer() {
    Map<String, String> nullValue = new HashMap<>(Map.of("tenant", "acme"));
    nullValue.put("region", null);
    Map<String, String> nullName = new HashMap<>();
    nullName.put(null, "eu");

    assertThatThrownBy(() -> new NewJob(PAYLOAD, null, null, null, null, null, 0, null, nullValue))
        .isInstanceOf(NullPointerException.class).hasMessage("headers must not map region to null");
    assertThatThrownBy(() -> new Job("id", "q", "p", PAYLOAD, 0, 1, Instant.EPOCH, Instant.EPOCH,
            nullName, null))
        .isInstanceOf(NullPointerException.class).hasMessage("headers must not have a null name");
  }

  @Test
  void defaultsFillOnlyWhatTheJobLeavesOpen() {
    NewJob open = NewJob.of(PAYLOAD);
    NewJob routed = NewJob.builder(PAYLOAD).queue("mail").priority("high").build();

    NewJob filled = open.withDefaults("default-queue", "default-priority");

    assertThat(filled.queue()).isEqualTo("default-queue");
    assertThat(filled.priority()).isEqualTo("default-priority");
    assertThat(filled.payload()).containsExactly(PAYLOAD);
    assertThat(NewJob.builder(PAYLOAD).queue("mail").build().withDefaults("q", "p"))
        .extracting(NewJob::queue, NewJob::priority).containsExactly("mail", "p");
    assertThat(routed.withDefaults("q", "p")).isSameAs(routed);
  }

  @Test
  void addedHeadersJoinTheJobsOwnAndReplaceThoseOfTheSameName() {
    NewJob job = NewJob.builder(PAYLOAD).header("tenant", "a").header("traceparent", "old").build();

    NewJob traced = job.withHeaders(Map.of("traceparent", "new", "tracestate", "s"));

    assertThat(traced.headers()).containsExactlyInAnyOrderEntriesOf(
        Map.of("tenant", "a", "traceparent", "new", "tracestate", "s"));
    assertThat(job.headers()).containsEntry("traceparent", "old");
    assertThat(job.withHeader("tenant", "b").headers()).containsEntry("tenant", "b");
    assertThat(job.withHeader("tenant", null).headers()).containsOnlyKeys("traceparent");
  }

  @Test
  void aRequestBecomesAJobOnItsFirstAttemptWithEveryFieldItSet() {
    Instant created = Instant.parse("2026-11-27T10:00:00Z");
    Instant runAt = created.plus(Duration.ofMinutes(5));
    NewJob request = NewJob.builder(PAYLOAD).queue("mail").priority("low").maxAttempts(7)
        .idempotencyKey("order-1").header("tenant", "a").build();

    Job job = request.toJob("job-1", created, runAt);

    assertThat(job).isEqualTo(new Job("job-1", "mail", "low", PAYLOAD, 0, 7, created, runAt,
        Map.of("tenant", "a"), "order-1"));
    assertThatThrownBy(() -> NewJob.of(PAYLOAD).toJob("job-2", created, created))
        .isInstanceOf(NullPointerException.class).hasMessage("queue");
  }

  /** Such times would overflow the arithmetic of enqueueing or the epoch milliseconds backends keep. */
  @Test
  void delaysAndRunTimesBeyondWhatBackendsKeepAreRefusedWithTheirRule() {
    assertThatThrownBy(() -> NewJob.builder("x").delay(Duration.ofDays(999_999_999_999L)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("delay must be zero or a positive duration of at most 3650 days (a later time is given "
            + "with runAt), but was PT23999999999976H");
    assertThatThrownBy(() -> NewJob.builder("x").runAt(Instant.parse("+1000000000-01-01T00:00:00Z")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("runAt must be in the years 0000 to 9999, but was +1000000000-01-01T00:00:00Z");
    assertThat(NewJob.builder("x").runAt(Instant.parse("9999-12-31T23:59:59Z")).build().runAt()).isNotNull();
  }

  @Test
  void thePayloadBufferShowsTheBytesButCannotChangeThem() {
    Instant now = Instant.now();
    Job job = new Job("job-1", "mail", "low", PAYLOAD, 0, 0, now, now, Map.of(), null);

    ByteBuffer view = job.payloadBuffer();

    assertThat(view.isReadOnly()).isTrue();
    assertThat(view.remaining()).isEqualTo(PAYLOAD.length);
    assertThat(view.get(2)).isEqualTo((byte) 3);
    assertThatThrownBy(() -> view.put(0, (byte) 9)).isInstanceOf(ReadOnlyBufferException.class);
    assertThat(job.payload()).containsExactly(PAYLOAD);
  }
}
