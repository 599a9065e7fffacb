/** The runner's picocli commands, its exit statuses and error reporting. */
package dev.workqueue.runner.internal.command;
