/** The runner's configuration: the key catalogue, YAML and environment loading, validation and redaction. */
package dev.workqueue.runner.internal.config;
