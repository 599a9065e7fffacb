/**
 * Implementation of the Redis backend: job encoding, key names, Lua script loading and Jedis
 * error translation. Not API: may change in any release.
 */
package dev.workqueue.redis.internal;
