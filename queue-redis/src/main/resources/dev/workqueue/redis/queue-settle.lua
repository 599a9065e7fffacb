-- queue-settle.lua: applies a batch of settlements of one queue; each is accepted only while its
-- lease token is current and names the leased job's id.
-- KEYS[1] leases (hash: token -> element)
-- KEYS[2] lease deadlines (zset: token by deadline ms)
-- KEYS[3] delayed set (zset: element by run-at ms)
-- KEYS[4] dead letters (list, oldest first)
-- KEYS[5] completed history (zset: job id by completion ms)
-- ARGV[1] lane key prefix (lane key = prefix .. priority)
-- ARGV[2] notify key prefix (notify key = prefix .. priority)
-- ARGV[3] completed history size (most ids kept; 0 keeps none)
-- ARGV[4] completed history age ms (ids older than this are dropped)
-- ARGV[5..] per settlement: kind, token, job id, then by kind:
--   'A' ack: nothing more
--   'R' retry: delay ms
--   'D' dead-letter: error type, error message, error at ms
--   'L' release: nothing more
-- Returns one integer per settlement: 1 accepted, 0 rejected (stale or unknown lease).

local now = now_ms()
local history_size = tonumber(ARGV[3])
local results = {}
local ended = {}
local completed = {}
local released = {}
local retried = {}
local i = 5
while i <= #ARGV do
  local kind, token, job_id = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  local element = redis.call('HGET', KEYS[1], token)
  local attempt, run_at, priority, id
  if element then
    attempt, run_at, priority, id = read_job(element)
  end
  local accepted = id ~= nil and id == job_id
  if accepted then
    ended[#ended + 1] = token
    if kind == 'A' then
      if history_size > 0 then
        completed[#completed + 1] = now
        completed[#completed + 1] = job_id
      end
    elseif kind == 'R' then
      local due = now + tonumber(ARGV[i])
      redis.call('ZADD', KEYS[3], due, rewrite_job(element, attempt, due))
      retried[priority] = true
    elseif kind == 'D' then
      redis.call('RPUSH', KEYS[4], dead_entry(tonumber(ARGV[i + 2]), job_id, ARGV[i], ARGV[i + 1], element))
    else
      add_to_group(released, priority, rewrite_job(element, attempt - 1, run_at))
    end
  end
  if kind == 'R' then
    i = i + 1
  elseif kind == 'D' then
    i = i + 3
  end
  results[#results + 1] = accepted and 1 or 0
end

if #ended > 0 then
  call_chunked('HDEL', KEYS[1], ended)
  call_chunked('ZREM', KEYS[2], ended)
end
if #completed > 0 then
  call_chunked('ZADD', KEYS[5], completed)
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - tonumber(ARGV[4]))
  redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -history_size - 1)
end
for priority, items in pairs(released) do
  for j = #items, 1, -1 do
    redis.call('LPUSH', ARGV[1] .. priority, items[j])
  end
  wake(ARGV[2] .. priority)
end
for priority in pairs(retried) do
  wake(ARGV[2] .. priority)
end
return results
