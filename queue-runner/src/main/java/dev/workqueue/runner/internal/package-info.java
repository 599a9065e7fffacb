/**
 * The runner's wiring: the factory of library components, the long-running roles, the demo
 * directory source, HTTP endpoints, bench and signal handling. All queue behaviour lives in the
 * library modules.
 */
package dev.workqueue.runner.internal;
