/**
 * JSON payloads for workqueue through Jackson: {@link dev.workqueue.json.JsonJobs} builds jobs
 * from values and handlers that are given values, and sends a payload that does not decode to the
 * dead-letter queue at once with Jackson's reason.
 */
package dev.workqueue.json;
