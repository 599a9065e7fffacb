#!lua flags=allow-oom
-- queue-fetch.lua: promotes due delayed jobs, then takes up to N jobs from the lanes in the
-- order given (strict priority: a lane is served only when every earlier lane is empty), leasing
-- each to the caller with a new token. The element is stored unchanged; the caller counts this
-- delivery in the attempt it reports (see queue-common.lua). Entries that are not job elements
-- are dead-lettered on the way, at most MAX_POISONED per call. While the queue is paused it takes
-- and promotes nothing.
-- Flagged allow-oom: it only moves jobs within the queue or deletes them, so a Redis at its
-- maxmemory must still run it, or consumers could not drain the queue that filled it.
-- KEYS[1] leases (hash: token -> element)
-- KEYS[2] lease deadlines (zset: token by deadline ms)
-- KEYS[3] delayed set (zset: element by run-at ms)
-- KEYS[4] lease token sequence (string counter, started at the server's time in microseconds)
-- KEYS[5] dead letters (list, oldest first)
-- KEYS[6] paused flag (string; exists while the queue is paused)
-- KEYS[7..] lanes to serve, in order
-- ARGV[1] most jobs to take
-- ARGV[2] lease duration ms
-- ARGV[3] lane key prefix (lane key = prefix .. priority), for promotion
-- ARGV[4] notify key prefix (notify key = prefix .. priority)
-- ARGV[5] most delayed jobs to promote in this call
-- ARGV[6] dead-letter limit (most dead letters kept; 0 keeps none)
-- ARGV[7] dead-letter age ms (dead letters older than this are deleted; 0 for no age limit)
-- ARGV[8] idempotency key prefix (dead letters the limit drops release their jobs' keys)
-- ARGV[9..] the priorities of KEYS[7..], in the same order
-- Returns { server now ms, lease deadline ms, next delayed run-at ms or -1, first token,
--           number taken, taken elements (attempt not yet counted)..., then per poisoned entry:
--           id, reason }

-- Most foreign entries one fetch dead-letters from the lanes: a lane full of them is cleared over
-- several fetches instead of by one script that blocks Redis for as long as the lane is.
local MAX_POISONED = 1000
local FIRST_LANE = 7

local now = now_ms()
if redis.call('EXISTS', KEYS[6]) == 1 then
  return { now, now + tonumber(ARGV[2]), -1, 0, 0 }
end
local poisoned = {}
local poisoned_count = 0
local dead = {}

-- The priority of the lane KEYS[lane].
local function priority_of(lane)
  return ARGV[lane + 2]
end

local function poison(element, reason)
  local id = undecodable_id(element)
  dead[#dead + 1] = dead_entry(now, now, id, 'undecodable', reason, element)
  poisoned[#poisoned + 1] = id
  poisoned[#poisoned + 1] = reason
  poisoned_count = poisoned_count + 1
end

local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))
local priorities = {}
for lane = FIRST_LANE, #KEYS do
  priorities[priority_of(lane)] = true
end
for _, element in ipairs(due) do
  local _, _, priority = read_job(element)
  if priority then
    priorities[priority] = true
  end
end
reach_lanes(ARGV[3], ARGV[4], priorities)
if #due > 0 then
  local promoted = {}
  for _, element in ipairs(due) do
    local _, _, priority = read_job(element)
    if priority then
      add_to_group(promoted, priority, element)
    else
      poison(element, 'delayed entry is not a job element of format 1')
    end
  end
  push_grouped(ARGV[3], promoted)
  call_chunked('ZREM', KEYS[3], due)
  for priority in pairs(promoted) do
    wake(ARGV[4] .. priority)
  end
end

local wanted = tonumber(ARGV[1])
local taken = {}
for lane = FIRST_LANE, #KEYS do
  while #taken < wanted and poisoned_count < MAX_POISONED do
    local items = redis.call('LPOP', KEYS[lane], wanted - #taken)
    if not items then
      break
    end
    for _, element in ipairs(items) do
      if looks_like_job(element) then
        taken[#taken + 1] = element
      else
        poison(element, 'waiting entry is not a job element of format 1')
      end
    end
  end
end

dead_letter(KEYS[5], dead, now, tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8])

local deadline = now + tonumber(ARGV[2])
local first_token = 0
if #taken > 0 then
  local last_token = redis.call('INCRBY', KEYS[4], #taken)
  if last_token == #taken then
    -- A new sequence (first fetch, or Redis lost its data): start it past every token handed out
    -- before, so a consumer still holding an old lease cannot heartbeat someone else's. Old
    -- tokens stay below the restart's microsecond unless the old sequence handed out more than
    -- one lease per microsecond since it started; milliseconds would let a sequence that starts
    -- again within the same millisecond repeat the old tokens.
    last_token = now_us() + #taken
    redis.call('SET', KEYS[4], string.format('%d', last_token))
  end
  first_token = last_token - #taken + 1
  local leases = {}
  local deadlines = {}
  local score = string.format('%d', deadline)
  for i, element in ipairs(taken) do
    local token = string.format('%d', first_token + i - 1)
    leases[#leases + 1] = token
    leases[#leases + 1] = element
    deadlines[#deadlines + 1] = score
    deadlines[#deadlines + 1] = token
  end
  call_chunked('HSET', KEYS[1], leases)
  call_chunked('ZADD', KEYS[2], deadlines)
end

local next_due = -1
if #taken == wanted or poisoned_count >= MAX_POISONED then
  -- Jobs may remain: pass the wake-up on so another idle consumer takes them.
  for lane = FIRST_LANE, #KEYS do
    if redis.call('LLEN', KEYS[lane]) > 0 then
      wake(ARGV[4] .. priority_of(lane))
    end
  end
else
  local soonest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if soonest[2] then
    next_due = tonumber(soonest[2])
  end
end

local reply = { now, deadline, next_due, first_token, #taken }
for _, element in ipairs(taken) do
  reply[#reply + 1] = element
end
for _, value in ipairs(poisoned) do
  reply[#reply + 1] = value
end
return reply
