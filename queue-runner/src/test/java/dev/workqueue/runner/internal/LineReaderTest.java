package dev.workqueue.runner.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {
  @Test
  void splitsLinesAsReadLineDoesOnNewlinesAndCarriageReturnNewlines() throws IOException {
    assertThat(lines("a\r\n\nbc\nlast", 10)).containsExactly("a", "", "bc", "last");
    assertThat(lines("a\n", 10)).containsExactly("a");
    assertThat(lines("", 10)).isEmpty();
  }

  @Test
  void aLineOverTheBoundIsDroppedAndTheLinesAfterItAreStillRead() throws IOException {
    String endless = "x".repeat(100_000);

    assertThat(lines("12345\r\n123456\n" + endless + "\nok\n" + endless, 5))
        .containsExactly("12345", null, null, "ok", null);
  }

  /** The text of every line, null for one that was too long. */
  private static List<String> lines(String input, int maxChars) throws IOException {
    LineReader reader = new LineReader(new StringReader(input), maxChars);
    List<String> lines = new ArrayList<>();
    for (LineReader.Line line = reader.next(); line != null; line = reader.next()) {
      lines.add(line.text());
    }
    return lines;
  }
}
