/**
 * Implementation of the Redis rate limiter: its Lua scripts and their replies. Not API:
 * may change in any release.
 */
package dev.workqueue.redis.internal.ratelimit;
