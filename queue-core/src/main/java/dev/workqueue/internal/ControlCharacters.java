package dev.workqueue.internal;

/** Text from producers and handlers made safe to print on one line of a log or a terminal. */
public final class ControlCharacters {
  private ControlCharacters() {}

  /** Whether {@code text} holds a control character (a line break, an escape…). */
  public static boolean present(String text) {
    return text.chars().anyMatch(Character::isISOControl);
  }

  /**
   * {@code text} with its control characters written as escapes ({@code \\n}, {@code \\u001b}):
   * printed as they are, a line break fakes lines of a log or listing and an escape sequence
   * drives the terminal. Null stays null.
   */
  public static String escaped(String text) {
    if (text == null || !present(text)) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (char c : text.toCharArray()) {
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> out.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : c);
      }
    }
    return out.toString();
  }
}
