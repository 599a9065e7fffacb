/** The in-memory backend: the whole backend contract inside the JVM, for tests and single-process use. */
package dev.workqueue.memory;
