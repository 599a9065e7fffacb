-- queue-requeue-dead.lua: moves the oldest dead letters back to the tail of their lanes with
-- their attempt reset to 0. Entries whose job cannot be read, or that were dead-lettered as
-- undecodable (some data reads as a job here but does not decode in Java), stay in the
-- dead-letter queue, in their place, and the scan goes on past them, so they do not hide the
-- letters behind them. The entries left keep the list's TTL (a dead-letter age).
-- KEYS[1] dead letters (list, oldest first)
-- KEYS[2] lane names (set of priorities ever used)
-- ARGV[1] lane key prefix (lane key = prefix .. priority)
-- ARGV[2] notify key prefix (notify key = prefix .. priority)
-- ARGV[3] most dead letters to move
-- ARGV[4] idempotency key prefix (a job moved back holds its key again)
-- Returns how many moved.

-- Undecodable entries one call passes over at most, so that a long run of them cannot keep
-- Redis busy in one script. They stay at the head, so letters behind a longer run stay hidden
-- until the undecodable ones are purged.
local MOST_SKIPPED = 10000
local limit = tonumber(ARGV[3])
local lanes = {}
local kept = {}
local moved = 0
local looked = 0
while moved < limit and #kept < MOST_SKIPPED do
  local wanted = math.max(limit - moved, 100)
  local entries = redis.call('LRANGE', KEYS[1], looked, looked + wanted - 1)
  if #entries == 0 then
    break
  end
  for _, entry in ipairs(entries) do
    if moved == limit or #kept == MOST_SKIPPED then
      break
    end
    looked = looked + 1
    local element, error_type, id = dead_job(entry)
    local attempt, run_at, priority
    if element and error_type ~= 'undecodable' then
      attempt, run_at, priority = read_job(element)
    end
    if priority then
      add_to_group(lanes, priority, rewrite_job(element, 0, run_at))
      hold_key(ARGV[4], element, id)
      moved = moved + 1
    else
      kept[#kept + 1] = entry
    end
  end
end
if looked == 0 then
  return 0
end
reach_lanes(ARGV[1], ARGV[2], lanes)
-- A list the LTRIM empties is deleted, and the LPUSH makes a new one without the TTL.
local ttl = redis.call('PTTL', KEYS[1])
redis.call('LTRIM', KEYS[1], looked, -1)
for j = #kept, 1, -1 do
  redis.call('LPUSH', KEYS[1], kept[j])
end
if #kept > 0 and ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
push_to_lanes(ARGV[1], ARGV[2], KEYS[2], lanes)
return moved
