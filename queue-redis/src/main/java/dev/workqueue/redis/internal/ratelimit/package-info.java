/**
 * Implementation of the Redis rate limiter: its Lua script and the script's replies. Not API:
 * may change in any release.
 */
package dev.workqueue.redis.internal.ratelimit;
