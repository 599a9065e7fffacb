-- queue-stats.lua: counts every job state of one queue in one consistent step; first drops
-- completed-history entries past their age.
-- KEYS[1] lane names (set of priorities ever used)
-- KEYS[2] lease deadlines (zset)
-- KEYS[3] delayed set (zset)
-- KEYS[4] dead letters (list)
-- KEYS[5] completed history (list of '<completion ms>:<job id>', newest first)
-- KEYS[6] live consumers (zset: consumer id by liveness expiry ms)
-- KEYS[7] paused flag (string; exists while the queue is paused)
-- ARGV[1] lane key prefix (lane key = prefix .. priority)
-- ARGV[2] completed history age ms
-- ARGV[3] completed history size
-- Returns { in flight, delayed, dead, completed, live consumers, paused (1 or 0), then per lane:
--           priority, waiting }

local now = now_ms()
trim_completed(KEYS[5], now, tonumber(ARGV[2]), tonumber(ARGV[3]))
local reply = {
  redis.call('ZCARD', KEYS[2]),
  redis.call('ZCARD', KEYS[3]),
  redis.call('LLEN', KEYS[4]),
  redis.call('LLEN', KEYS[5]),
  redis.call('ZCOUNT', KEYS[6], string.format('(%d', now), '+inf'),
  redis.call('EXISTS', KEYS[7]),
}
for _, priority in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  reply[#reply + 1] = priority
  reply[#reply + 1] = redis.call('LLEN', ARGV[1] .. priority)
end
return reply
