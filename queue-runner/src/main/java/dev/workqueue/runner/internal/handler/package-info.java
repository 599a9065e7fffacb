/**
 * The worker's built-in job handlers ({@code log}, {@code exec}, {@code files}) and the loader of
 * user handler classes.
 */
package dev.workqueue.runner.internal.handler;
