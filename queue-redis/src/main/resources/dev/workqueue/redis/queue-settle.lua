#!lua flags=allow-oom
-- queue-settle.lua: applies a batch of settlements of one queue; each is accepted only while its
-- lease token is current and names the leased job's id. Retry and dead-letter count the delivery
-- in the element's attempt; release puts the element back as it was (see queue-common.lua).
-- Flagged allow-oom: it only moves jobs within the queue or deletes them, so a Redis at its
-- maxmemory must still run it, or consumers could not drain the queue that filled it.
-- KEYS[1] leases (hash: token -> element)
-- KEYS[2] lease deadlines (zset: token by deadline ms)
-- KEYS[3] delayed set (zset: element by run-at ms)
-- KEYS[4] dead letters (list, oldest first)
-- KEYS[5] completed history (list of '<completion ms>:<job id>', newest first)
-- ARGV[1] lane key prefix (lane key = prefix .. priority)
-- ARGV[2] notify key prefix (notify key = prefix .. priority)
-- ARGV[3] completed history size (most ids kept; 0 keeps none)
-- ARGV[4] completed history age ms (ids older than this are dropped)
-- ARGV[5] dead-letter limit (most dead letters kept; 0 keeps none)
-- ARGV[6] dead-letter age ms (dead letters older than this are deleted; 0 for no age limit)
-- ARGV[7] idempotency key prefix (an ack or a dropped dead letter releases its job's key)
-- ARGV[8..] per settlement: kind, token, job id, then by kind:
--   'A' ack: nothing more
--   'R' retry: delay ms
--   'D' dead-letter: error type, error message, error at ms (kept as the error's time; the
--       dead-letter age counts from the server's time of this call, see dead_entry)
--   'L' release: nothing more
--   'P' poison (data the caller could not decode): error type, error message, error at ms; the
--       job id is ignored and read from the data where possible
-- Returns one integer per settlement: 1 accepted, 0 rejected (stale or unknown lease, or a lease
-- that an earlier settlement of the same batch ended).

local now = now_ms()
local completed_prefix = string.format('%d:', now)
local history_size = tonumber(ARGV[3])
local results = {}
local ended = {}
local completed = {}
local released = {}
local retried = {}
local dead = {}
-- One HMGET for every token of the batch: far cheaper than one HGET each.
local tokens = {}
local kinds = {}
local i = 8
while i <= #ARGV do
  tokens[#tokens + 1] = ARGV[i + 1]
  local kind = ARGV[i]
  kinds[#kinds + 1] = kind
  i = i + (kind == 'R' and 4 or (kind == 'D' or kind == 'P') and 6 or 3)
end
local elements = hmget_chunked(KEYS[1], tokens)
reach_lanes(ARGV[1], ARGV[2], priorities_of(elements, function(n)
  return kinds[n] == 'R' or kinds[n] == 'L'
end))
local ended_in_batch = {}

i = 8
local n = 0
while i <= #ARGV do
  local kind, token, id = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  n = n + 1
  local element = elements[n]
  if ended_in_batch[token] then
    -- The HMGET above ran before this batch ended the lease: it is no longer current.
    element = false
  end
  local accepted
  if kind == 'P' then
    accepted = element ~= false
    if accepted then
      id = (looks_like_job(element) and job_id(element)) or undecodable_id(element)
    end
  else
    accepted = element and looks_like_job(element) and job_id(element) == id
  end
  if accepted then
    ended[#ended + 1] = token
    ended_in_batch[token] = true
    if kind == 'A' then
      release_key(ARGV[7], element, id)
      if history_size > 0 then
        completed[#completed + 1] = completed_prefix .. id
      end
    else
      local attempt, run_at, priority = read_job(element)
      if kind == 'R' then
        local due = now + tonumber(ARGV[i])
        redis.call('ZADD', KEYS[3], due, rewrite_job(element, attempt + 1, due))
        retried[priority] = true
      elseif kind == 'D' or kind == 'P' then
        if attempt then
          element = rewrite_job(element, attempt + 1, run_at)
        end
        dead[#dead + 1] = dead_entry(now, tonumber(ARGV[i + 2]), id, ARGV[i], ARGV[i + 1], element)
      else
        add_to_group(released, priority, element)
      end
    end
  end
  if kind == 'R' then
    i = i + 1
  elseif kind == 'D' or kind == 'P' then
    i = i + 3
  end
  results[#results + 1] = accepted and 1 or 0
end

-- Before the leases end: should it fail (a dead key of another type), the jobs stay leased.
dead_letter(KEYS[4], dead, now, tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7])
if #ended > 0 then
  call_chunked('HDEL', KEYS[1], ended)
  call_chunked('ZREM', KEYS[2], ended)
end
if #completed > 0 then
  call_chunked('LPUSH', KEYS[5], completed)
  trim_completed(KEYS[5], now, tonumber(ARGV[4]), history_size)
  -- Trimming needs a later call; a queue that falls idle gets none, so its history expires whole
  -- once even its newest entry is past the age.
  redis.call('PEXPIRE', KEYS[5], ARGV[4])
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
