package dev.workqueue.metrics.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SpanNamesTest {

  @Test
  void namesAreOperationThenQueueAndBuiltOncePerQueue() {
    SpanNames names = new SpanNames("process");

    String first = names.of("emails");

    assertThat(first).isEqualTo("process emails");
    assertThat(names.of(new String("emails"))).isSameAs(first);
    assertThat(names.of("reports")).isEqualTo("process reports");
  }

  @Test
  void beyondTheLimitNamesAreStillRightButNoLongerRemembered() {
    SpanNames names = new SpanNames("send");

    for (int i = 0; i < SpanNames.MAX_CACHED + 50; i++) {
      assertThat(names.of("queue-" + i)).isEqualTo("send queue-" + i);
    }

    assertThat(names.cached()).isEqualTo(SpanNames.MAX_CACHED);
    assertThat(names.of("queue-" + (SpanNames.MAX_CACHED + 10)))
        .isEqualTo("send queue-" + (SpanNames.MAX_CACHED + 10));
  }
}
