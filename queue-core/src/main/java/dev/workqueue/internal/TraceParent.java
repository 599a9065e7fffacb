package dev.workqueue.internal;

/**
 * The trace id and parent span id of a W3C {@code traceparent} header, read without a tracing
 * library so that the consumer can name a job's trace in its log context.
 *
 * @param traceId 32 lower-case hex digits, not all zero
 * @param spanId 16 lower-case hex digits, not all zero: the span that enqueued the job
 */
public record TraceParent(String traceId, String spanId) {
  /** {@code version-traceid-parentid-flags}: 2, 32, 16 and 2 hex digits. */
  private static final int LENGTH = 55;
  private static final int TRACE_ID_START = 3;
  private static final int SPAN_ID_START = 36;
  private static final int FLAGS_START = 53;

  /**
   * The ids in {@code header}, or null when it is null or not a valid traceparent. Later versions
   * than {@code 00} may append fields after a dash, as the W3C Trace Context specification allows;
   * version {@code ff}, upper-case digits and all-zero ids are invalid.
   */
  public static TraceParent parse(String header) {
    if (header == null || header.length() < LENGTH) {
      return null;
    }
    boolean version00 = header.charAt(0) == '0' && header.charAt(1) == '0';
    boolean valid = (header.length() == LENGTH || !version00 && header.charAt(LENGTH) == '-')
        && isHex(header, 0, 2) && !(header.charAt(0) == 'f' && header.charAt(1) == 'f')
        && header.charAt(TRACE_ID_START - 1) == '-' && isNonZeroHex(header, TRACE_ID_START, 32)
        && header.charAt(SPAN_ID_START - 1) == '-' && isNonZeroHex(header, SPAN_ID_START, 16)
        && header.charAt(FLAGS_START - 1) == '-' && isHex(header, FLAGS_START, 2);
    return valid ? new TraceParent(header.substring(TRACE_ID_START, TRACE_ID_START + 32),
        header.substring(SPAN_ID_START, SPAN_ID_START + 16)) : null;
  }

  private static boolean isNonZeroHex(String text, int start, int length) {
    boolean nonZero = false;
    for (int i = start; i < start + length; i++) {
      nonZero |= text.charAt(i) != '0';
    }
    return nonZero && isHex(text, start, length);
  }

  private static boolean isHex(String text, int start, int length) {
    for (int i = start; i < start + length; i++) {
      char c = text.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }
}
