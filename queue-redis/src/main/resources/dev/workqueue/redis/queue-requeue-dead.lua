-- queue-requeue-dead.lua: moves the oldest dead letters back to the tail of their lanes with
-- their attempt reset to 0. Entries whose job cannot be read stay in the dead-letter queue.
-- KEYS[1] dead letters (list, oldest first)
-- KEYS[2] lane names (set of priorities ever used)
-- ARGV[1] lane key prefix (lane key = prefix .. priority)
-- ARGV[2] notify key prefix (notify key = prefix .. priority)
-- ARGV[3] most dead letters to look at
-- Returns how many moved.

local entries = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
if #entries == 0 then
  return 0
end
local lanes = {}
local kept = {}
local moved = 0
for _, entry in ipairs(entries) do
  local element = dead_job(entry)
  local attempt, run_at, priority
  if element then
    attempt, run_at, priority = read_job(element)
  end
  if priority then
    add_to_group(lanes, priority, rewrite_job(element, 0, run_at))
    moved = moved + 1
  else
    kept[#kept + 1] = entry
  end
end
redis.call('LTRIM', KEYS[1], #entries, -1)
for j = #kept, 1, -1 do
  redis.call('LPUSH', KEYS[1], kept[j])
end
push_grouped(ARGV[1], lanes)
for priority in pairs(lanes) do
  redis.call('SADD', KEYS[2], priority)
  wake(ARGV[2] .. priority)
end
return moved
