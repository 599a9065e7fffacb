package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.workqueue.NewJob;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JobLinesTest {
  @Test
  void readsEveryField() {
    NewJob job = JobLines.parse("{\"payload\": \"hi\", \"queue\": \"q\", \"priority\": \"high\", \"id\": \"j1\","
        + " \"delay\": \"30s\", \"max_attempts\": 3, \"idempotency_key\": \"k\", \"headers\": {\"a\": \"b\"}}");

    assertThat(new String(job.payload(), StandardCharsets.UTF_8)).isEqualTo("hi");
    assertThat(job.queue()).isEqualTo("q");
    assertThat(job.priority()).isEqualTo("high");
    assertThat(job.id()).isEqualTo("j1");
    assertThat(job.delay()).isEqualTo(Duration.ofSeconds(30));
    assertThat(job.maxAttempts()).isEqualTo(3);
    assertThat(job.idempotencyKey()).isEqualTo("k");
    assertThat(job.headers()).containsEntry("a", "b");
  }

  @Test
  void nonStringPayloadBecomesItsCompactJson() {
    NewJob job = JobLines.parse("{\"payload\": {\"to\": \"a@b.c\", \"n\": [1, 2]}, \"run_at\": \"2030-01-01T00:00:00Z\"}");

    assertThat(new String(job.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"to\":\"a@b.c\",\"n\":[1,2]}");
    assertThat(job.runAt()).isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
  }

  @Test
  void explainsWhatIsWrongWithALine() {
    assertThatThrownBy(() -> JobLines.parse("[1, 2]")).hasMessageContaining("must be a JSON object");
    assertThatThrownBy(() -> JobLines.parse("{\"queue\": \"q\"}")).hasMessage("payload must be set");
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"x\", \"prio\": 1}"))
        .hasMessageStartingWith("unknown fields [prio]");
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"x\", \"max_attempts\": 0}"))
        .hasMessage("max_attempts must be a positive integer, but was 0");
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"x\", \"run_at\": \"tomorrow\"}"))
        .hasMessageStartingWith("run_at must be an ISO-8601 instant");
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": ")).hasMessageStartingWith("not valid JSON");
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"x\", \"headers\": \"\\u001b[2J\"}"))
        .hasMessage("headers must be an object of strings, but was \"\\u001b[2J\"");
    // Each was taken as its text ("1", "null", "{b=2}"), which the documentation does not promise.
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"x\", \"headers\": {\"a\": 1}}"))
        .hasMessage("headers.a must be a string, but was 1");
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"x\", \"headers\": {\"a\": null}}"))
        .hasMessage("headers.a must be a string, but was null");
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"x\", \"headers\": {\"a\": {\"b\": \"c\"}}}"))
        .hasMessageStartingWith("headers.a must be a string, but was ");
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"x\", \"max_attempts\": \"1\\n2\"}"))
        .hasMessage("max_attempts must be a positive integer, but was \"1\\n2\"");
  }

  /** The first line of the parser's message was only its context: "while constructing a mapping". */
  @Test
  void invalidJsonIsExplainedByItsProblemAndPositionWithoutQuotingTheLine() {
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"secret\", \"payload\": \"y\"}"))
        .hasMessageStartingWith("not valid JSON: found duplicate key payload at line 1, column ")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"secret\" \"queue\": 1}"))
        .hasMessageStartingWith("not valid JSON: ").hasMessageContaining("at line 1, column ")
        .hasMessageNotContaining("secret");
  }

  /** The producer would fail on them with a DateTimeException or an ArithmeticException. */
  @Test
  void delaysAndRunTimesBeyondWhatAJobCanCarryAreRefusedWithTheirRule() {
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"x\", \"delay\": \"999999999999d\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("delay must be a duration up to 365d, such as 30s, 5m or 1h, but was \"999999999999d\"");
    assertThatThrownBy(() -> JobLines.parse("{\"payload\": \"x\", \"delay\": \"soon\"}"))
        .hasMessage("delay must be a duration up to 365d, such as 30s, 5m or 1h, but was \"soon\"");
    assertThatThrownBy(
        () -> JobLines.parse("{\"payload\": \"x\", \"run_at\": \"+1000000000-01-01T00:00:00Z\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("run_at must be an ISO-8601 instant in the years 0000 to 9999, such as "
            + "2030-01-01T00:00:00Z, but was \"+1000000000-01-01T00:00:00Z\"");
    assertThat(JobLines.parse("{\"payload\": \"x\", \"delay\": \"365d\"}").delay())
        .isEqualTo(Duration.ofDays(365));
  }
}
