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
for _, element in ipairs(elements) do
  if element then
    local attempt, run_at, priority = read_job(element)
    if priority then
      local counted = rewrite_job(element, attempt + 1, run_at)
      recovered[#recovered + 1] = counted
      redis.call('LPUSH', ARGV[1] .. priority, counted)
    else
      local id = undecodable_id(element)
      redis.call('RPUSH', KEYS[3], dead_entry(now, id, 'undecodable', 'leased entry is not a job element of format 1', element))
    end
  end
end
call_chunked('HDEL', KEYS[1], tokens)
call_chunked('ZREM', KEYS[2], tokens)
for priority in pairs(lanes) do
  wake(ARGV[2] .. priority)
end
return recovered
