package dev.workqueue.runner.internal.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

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
}
