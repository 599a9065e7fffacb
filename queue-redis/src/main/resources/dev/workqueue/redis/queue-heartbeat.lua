#!lua flags=allow-oom
-- queue-heartbeat.lua: extends the leases a consumer still holds and records it as alive. A
-- lease is held while its token is in the leases hash with an element of the same job, the test
-- that settlement applies too.
-- Flagged allow-oom: it adds no more than a consumer entry, and a Redis at its maxmemory must
-- still run it, or the leases of running jobs would expire while consumers drain the queue.
-- KEYS[1] leases (hash: token -> element)
-- KEYS[2] lease deadlines (zset: token by deadline ms)
-- KEYS[3] live consumers (zset: consumer id by liveness expiry ms)
-- ARGV[1] lease duration ms
-- ARGV[2] consumer id
-- ARGV[3] consumer liveness ttl ms
-- ARGV[4..] per lease: token, job id
-- Returns one integer per lease: 1 extended, 0 no longer held.

local now = now_ms()
local deadline = now + tonumber(ARGV[1])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local tokens = {}
for i = 4, #ARGV, 2 do
  tokens[#tokens + 1] = ARGV[i]
end
local elements = hmget_chunked(KEYS[1], tokens)
local results = {}
for n, token in ipairs(tokens) do
  local element = elements[n]
  if element and looks_like_job(element) and job_id(element) == ARGV[3 + 2 * n] then
    redis.call('ZADD', KEYS[2], deadline, token)
    results[n] = 1
  else
    results[n] = 0
  end
end
return results
