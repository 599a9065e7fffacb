/**
 * Test fixtures that run real Redis: {@link dev.workqueue.testkit.redis.RedisServer} starts
 * {@code redis-server} processes on free loopback ports (and kills, pauses or restarts only
 * those); {@link dev.workqueue.testkit.redis.RedisServerExtension} gives a test class one such
 * server; {@link dev.workqueue.testkit.redis.RedisTarget} picks an existing server from
 * {@code REDIS_URL}, a local binary, or Testcontainers.
 */
package dev.workqueue.testkit.redis;
