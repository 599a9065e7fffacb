package dev.workqueue.runner.internal;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads lines ended by {@code \n} or {@code \r\n}, like {@link java.io.BufferedReader#readLine()},
 * but keeps at most a bounded number of characters per line: a line past the bound is read to its
 * end and dropped, so one endless line on stdin cannot exhaust the heap.
 */
public final class LineReader {
  private final Reader in;
  private final int maxChars;
  private final char[] buffer = new char[8192];
  private int position;
  private int end;

  /**
   * One line of input.
   *
   * @param text the line without its terminator, or {@code null} when it was too long
   */
  public record Line(String text) {
    /** Whether the line held more than the reader's bound, so that its text was dropped. */
    public boolean tooLong() {
      return text == null;
    }
  }

  /**
   * Reads from {@code in}, which this reader does not close.
   *
   * @param maxChars most characters a line may hold, without its terminator
   * @throws IllegalArgumentException if {@code maxChars} is less than 1
   */
  public LineReader(Reader in, int maxChars) {
    if (maxChars < 1) {
      throw new IllegalArgumentException("maxChars must be at least 1, but was " + maxChars);
    }
    this.in = in;
    this.maxChars = maxChars;
  }

  /**
   * The next line, or {@code null} at the end of the input.
   *
   * @throws IOException if reading fails
   */
  public Line next() throws IOException {
    StringBuilder text = new StringBuilder();
    long length = 0;
    while (true) {
      if (position == end) {
        end = Math.max(in.read(buffer), 0);
        position = 0;
        if (end == 0) {
          return length == 0 ? null : line(text, length);
        }
      }
      int start = position;
      while (position < end && buffer[position] != '\n') {
        position++;
      }
      length += position - start;
      if (length <= maxChars + 1) { // + 1: room for the \r of a \r\n terminator
        text.append(buffer, start, position - start);
      }
      if (position < end) {
        position++;
        return line(text, length);
      }
    }
  }

  private Line line(StringBuilder text, long length) {
    if (text.length() > 0 && text.charAt(text.length() - 1) == '\r') {
      text.setLength(text.length() - 1);
      length--;
    }
    return new Line(length > maxChars ? null : text.toString());
  }
}
