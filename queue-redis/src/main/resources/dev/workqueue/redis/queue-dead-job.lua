-- queue-dead-job.lua: deletes, or moves back to the tail of their lanes with their attempt reset
-- to 0, the dead letters of one job id found in one window of the dead-letter list. The caller
-- walks the list window by window from its tail, as queue-delete-job.lua does, for the same
-- reason: new letters are appended, and retention and requeue-dead take from the head, so a
-- letter not yet looked at is never passed over. Letters whose job cannot be read are deleted
-- but never requeued; an entry that cannot be read at all goes by the id undecodable_id gives
-- it, as peekDead shows it. The letters left keep the list's TTL (a dead-letter age).
-- KEYS[1] dead letters (list, oldest first)
-- KEYS[2] lane names (set of priorities ever used)
-- ARGV[1] lane key prefix (lane key = prefix .. priority)
-- ARGV[2] notify key prefix (notify key = prefix .. priority)
-- ARGV[3] job id
-- ARGV[4] 'delete' or 'requeue'
-- ARGV[5] idempotency key prefix (deleting a letter releases its job's key, requeueing holds it)
-- ARGV[6] offset of the window's last entry from the tail (0 = the last entry)
-- ARGV[7] entries in the window
-- Returns {letters deleted or moved, entries looked at}.

local id = ARGV[3]
local requeue = ARGV[4] == 'requeue'
local offset = tonumber(ARGV[6])
local size = tonumber(ARGV[7])
local entries = redis.call('LRANGE', KEYS[1], -(offset + size), -(offset + 1))
local matched = {}
local lanes = {}
for _, entry in ipairs(entries) do
  local element, error_type, entry_id = dead_job(entry)
  if (entry_id or undecodable_id(entry)) == id then
    if not requeue then
      matched[#matched + 1] = entry
      release_key(ARGV[5], element, id)
    elseif element and error_type ~= 'undecodable' then
      local _, run_at, priority = read_job(element)
      if priority then
        matched[#matched + 1] = entry
        add_to_group(lanes, priority, rewrite_job(element, 0, run_at))
        hold_key(ARGV[5], element, id)
      end
    end
  end
end
reach_lanes(ARGV[1], ARGV[2], lanes)
for _, entry in ipairs(matched) do
  redis.call('LREM', KEYS[1], -1, entry)
end
push_to_lanes(ARGV[1], ARGV[2], KEYS[2], lanes)
return { #matched, #entries }
