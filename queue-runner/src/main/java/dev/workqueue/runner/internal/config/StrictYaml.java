package dev.workqueue.runner.internal.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.reader.ReaderException;

/**
 * The one way the runner reads YAML (and JSON, its subset): plain maps, lists and scalars only,
 * never arbitrary classes, and a duplicate key is an error rather than a silent override.
 */
public final class StrictYaml {
  private StrictYaml() {}

  /** A new parser; not thread-safe, so each caller takes its own. */
  public static Yaml create() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    return new Yaml(new SafeConstructor(options));
  }

  /**
   * What is wrong with a document that the parser refused, and where: for example {@code found
   * unexpected end of stream at line 5, column 1 (while scanning a quoted scalar from line 2,
   * column 13)}. Unlike snakeyaml's own message it never quotes the offending line, whose text
   * may be a password.
   */
  public static String describe(YAMLException failure) {
    if (failure instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
      String context = marked.getContext() == null ? ""
          : " (" + marked.getContext() + (marked.getContextMark() == null ? ""
              : " from " + position(marked.getContextMark())) + ")";
      return marked.getProblem() + " at " + position(marked.getProblemMark()) + context;
    }
    if (failure instanceof ReaderException unreadable) {
      return unreadable.getMessage() + " at character " + (unreadable.getPosition() + 1);
    }
    return failure.getMessage() == null ? failure.getClass().getSimpleName()
        : failure.getMessage().lines().findFirst().orElse("");
  }

  private static String position(Mark mark) {
    return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
  }
}
