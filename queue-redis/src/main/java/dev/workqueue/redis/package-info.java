/**
 * The Redis backend of workqueue: {@link dev.workqueue.redis.RedisQueueBackend}, a
 * {@link dev.workqueue.spi.QueueBackend} on Jedis whose every transition is one Lua script and
 * whose keys carry a hash tag per queue. See {@code docs/redis-backend.md} for the key schema.
 */
package dev.workqueue.redis;
