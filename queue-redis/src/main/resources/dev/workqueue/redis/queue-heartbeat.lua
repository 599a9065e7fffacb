-- queue-heartbeat.lua: extends the leases a consumer still holds and records it as alive.
-- KEYS[1] lease deadlines (zset: token by deadline ms)
-- KEYS[2] live consumers (zset: consumer id by liveness expiry ms)
-- ARGV[1] lease duration ms
-- ARGV[2] consumer id
-- ARGV[3] consumer liveness ttl ms
-- ARGV[4..] lease tokens
-- Returns one integer per token: 1 extended, 0 no longer held.

local now = now_ms()
local deadline = now + tonumber(ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local results = {}
for i = 4, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], deadline, ARGV[i])
    results[#results + 1] = 1
  else
    results[#results + 1] = 0
  end
end
return results
