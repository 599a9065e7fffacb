#!lua flags=allow-oom
-- queue-recover.lua: returns jobs whose lease expired to the head of their lanes with the lost
-- delivery counted in their attempt. Reads only the deadline index, never the keyspace;
-- atomic, so concurrent reapers recover each job once.
-- Flagged allow-oom: it only moves jobs within the queue or deletes them, so a Redis at its
-- maxmemory must still run it, or consumers could not drain the queue that filled it.
-- KEYS[1] leases (hash: token -> element)
-- KEYS[2] lease deadlines (zset: token by deadline ms)
-- KEYS[3] dead letters (list, oldest first)
-- ARGV[1] lane key prefix (lane key = prefix .. priority)
-- ARGV[2] notify key prefix (notify key = prefix .. priority)
-- ARGV[3] most leases to recover
-- ARGV[4] dead-letter limit (most dead letters kept; 0 keeps none)
-- ARGV[5] dead-letter age ms (dead letters older than this are deleted; 0 for no age limit)
-- ARGV[6] idempotency key prefix (dead letters the limit drops release their jobs' keys)
-- Returns the recovered job elements.

local now = now_ms()
local tokens = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
if #tokens == 0 then
  return {}
end
local elements = hmget_chunked(KEYS[1], tokens)
local lanes = priorities_of(elements)
reach_lanes(ARGV[1], ARGV[2], lanes)
local recovered = {}
local dead = {}
local reason = 'leased entry is not a job element of format 1'
for _, element in ipairs(elements) do
  if element then
    local attempt, run_at, priority = read_job(element)
    if priority then
      local counted = rewrite_job(element, attempt + 1, run_at)
      recovered[#recovered + 1] = counted
      redis.call('LPUSH', ARGV[1] .. priority, counted)
    else
      local id = undecodable_id(element)
      dead[#dead + 1] = dead_entry(now, now, id, 'undecodable', reason, element)
    end
  end
end
-- Before the leases end: should it fail (a dead key of another type), they are recovered again.
dead_letter(KEYS[3], dead, now, tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6])
call_chunked('HDEL', KEYS[1], tokens)
call_chunked('ZREM', KEYS[2], tokens)
for priority in pairs(lanes) do
  wake(ARGV[2] .. priority)
end
return recovered
