/** Implementation of the metrics and tracing adapters; not an API, may change in any release. */
package dev.workqueue.metrics.internal;
