package dev.workqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class TraceParentTest {
  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String SPAN_ID = "b7ad6b7169203331";

  @ParameterizedTest
  @ValueSource(strings = {
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
      // A later version may add fields after a dash.
      "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-comes-next"})
  void aValidTraceparentGivesItsTraceAndParentSpanIds(String header) {
    assertThat(TraceParent.parse(header)).isEqualTo(new TraceParent(TRACE_ID, SPAN_ID));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {
      "",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
      "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333z-01",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x",
      "00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01",
      " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
  void anAbsentOrMalformedTraceparentGivesNothing(String header) {
    assertThat(TraceParent.parse(header)).isNull();
  }
}
