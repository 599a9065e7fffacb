/**
 * The runner: one executable jar that runs workqueue producers and workers as a process, with a
 * YAML configuration, HTTP health and metrics endpoints and admin commands. {@link
 * dev.workqueue.runner.Main} is its entry point; everything else is internal.
 */
package dev.workqueue.runner;
