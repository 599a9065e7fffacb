package dev.workqueue.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.workqueue.InvalidJobException;
import dev.workqueue.Job;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobCodecTest {
  private static final Instant AT = Instant.ofEpochMilli(1_764_000_000_123L);

  private static Job job(String id, String priority, byte[] payload, int attempt, Map<String, String> headers,
      String key) {
    return new Job(id, "q", priority, payload, attempt, 3, AT, AT.plusMillis(5), headers, key);
  }

  @Test
  void everyFieldSurvivesARoundTripForArbitraryValues() {
    // Valid text only: a lone surrogate has no UTF-8 form, so no string field could carry it.
    qt().forAll(strings().betweenCodePoints(0x20, 0xD7FF).ofLengthBetween(1, 40), strings().basicLatinAlphabet().ofLengthBetween(1, 20),
            longs().between(0, 4_000_000_000_000L), strings().betweenCodePoints(0, 0xD7FF).ofLengthBetween(0, 300))
        .checkAssert((id, priority, millis, text) -> {
          int attempt = (int) (millis % 1_000);
          Job job = new Job(id, "q", priority, text.getBytes(StandardCharsets.UTF_8), attempt, attempt % 7,
              Instant.ofEpochMilli(millis), Instant.ofEpochMilli(millis + attempt),
              Map.of("traceparent", text, "k", id), attempt % 2 == 0 ? text : null);
          assertThat(JobCodec.decode(JobCodec.encode(job), "q")).isEqualTo(job);
        });
  }

  @Test
  void headerThatTheScriptsReadComesFirst() {
    byte[] element = JobCodec.encode(job("id-1", "high", new byte[] {9}, 2, Map.of(), null));

    assertThat(element[0]).isEqualTo(JobCodec.FORMAT);
    assertThat(Arrays.copyOfRange(element, 1, 5)).containsExactly(0, 0, 0, 2);
    assertThat(JobCodec.readId(element)).isEqualTo("id-1");
  }

  @Test
  void anIdThatIsNotUtf8IsUndecodableSinceASettlementCouldNeverNameIt() {
    byte[] element = JobCodec.encode(job("idX", "low", new byte[0], 0, Map.of(), null));
    element[1 + 4 + 8 + 2 + 3 + 2 + 2] = (byte) 0xE9;

    assertThatThrownBy(() -> JobCodec.decode(element, "q"))
        .isInstanceOf(JobCodec.UndecodableException.class)
        .hasMessage("job id is not valid UTF-8");
  }

  @Test
  void truncatedElementIsUndecodableButItsIdIsStillReadable() {
    byte[] element = JobCodec.encode(job("id-2", "low", "payload".getBytes(StandardCharsets.UTF_8), 0,
        Map.of("a", "b"), "key"));
    byte[] truncated = Arrays.copyOf(element, element.length - 2);

    assertThatThrownBy(() -> JobCodec.decode(truncated, "q"))
        .isInstanceOf(JobCodec.UndecodableException.class)
        .hasMessageContaining("payload length");
    assertThat(JobCodec.readId(truncated)).isEqualTo("id-2");
  }

  @Test
  void foreignDataIsUndecodableWithAReason() {
    byte[] json = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> JobCodec.decode(json, "q")).hasMessage("unknown job format 123");
    assertThatThrownBy(() -> JobCodec.decode(new byte[] {1, 0}, "q")).hasMessageContaining("truncated");
    assertThat(JobCodec.readId(json)).isNull();
  }

  @Test
  void stringLongerThanTheLengthFieldIsRefused() {
    String huge = "x".repeat(70_000);
    assertThatThrownBy(() -> JobCodec.encode(job("id", "p", new byte[0], 0, Map.of("h", huge), null)))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("header value must be at most 65534 bytes in UTF-8, but was 70000 bytes");
  }

  @Test
  void moreHeadersThanTheCountFieldHoldsAreRefusedInsteadOfStoredUndecodable() {
    Map<String, String> headers = new HashMap<>();
    for (int i = 0; i < 65_536; i++) {
      headers.put("h" + i, "v");
    }
    headers.remove("h0");
    assertThat(JobCodec.decode(JobCodec.encode(job("id", "p", new byte[0], 0, headers, null)), "q")
        .headers()).hasSize(65_535);

    headers.put("h0", "v");
    assertThatThrownBy(() -> JobCodec.encode(job("id", "p", new byte[0], 0, headers, null)))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("headers must be at most 65535 entries, but was 65536 entries");
  }

  @Test
  void deadLetterEntryClaimingAHugeMessageIsUndecodableWithoutAllocatingIt() {
    byte[] entry = ByteBuffer.allocate(1 + 8 + 3 + 3 + 4 + 3).put(JobCodec.FORMAT).putLong(0)
        .putShort((short) 1).put((byte) 'j').putShort((short) 1).put((byte) 't')
        .putInt(Integer.MAX_VALUE - 8).put(new byte[3]).array();
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();

    assertThatThrownBy(() -> JobCodec.decodeDead(entry, "q"))
        .isInstanceOf(JobCodec.UndecodableException.class)
        .hasMessageContaining("truncated");
    assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(64L << 20);
  }
}
