/**
 * Runnable programs that embed workqueue the way a host application would: a quickstart, metrics
 * and tracing wiring, and the benchmarks whose figures the documentation quotes. Each class is a
 * {@code main}; run one with {@code ./mvnw -q -pl examples exec:java -Dexec.mainClass=...}.
 */
package dev.workqueue.examples;
