#!lua flags=allow-oom
-- queue-delete-job.lua: deletes the jobs with one id from one window of a lane or of the delayed
-- set. The caller walks the whole lane or set window by window, so that no call keeps Redis busy
-- long however many jobs wait. Windows are counted from the tail: consumers take from a lane's
-- head and due jobs leave the delayed set at its head, and new jobs only push the others away
-- from the tail, so a job not yet looked at is never passed over between calls. A deletion
-- moves the elements before it one place toward the tail; the caller subtracts the deletions
-- from its offset.
-- KEYS[1] a lane (list) or the delayed set (sorted set)
-- ARGV[1] job id
-- ARGV[2] 'lane' or 'delayed'
-- ARGV[3] idempotency key prefix (a deleted job releases its key)
-- ARGV[4] offset of the window's last element from the tail (0 = the last element)
-- ARGV[5] elements in the window
-- Returns {jobs deleted, elements looked at}.

local id = ARGV[1]
local is_lane = ARGV[2] == 'lane'
local offset = tonumber(ARGV[4])
local size = tonumber(ARGV[5])
local first, last = -(offset + size), -(offset + 1)
local elements = is_lane and redis.call('LRANGE', KEYS[1], first, last)
  or redis.call('ZRANGE', KEYS[1], first, last)
local deleted = 0
for _, element in ipairs(elements) do
  if looks_like_job(element) and job_id(element) == id then
    release_key(ARGV[3], element, id)
    if is_lane then
      deleted = deleted + redis.call('LREM', KEYS[1], -1, element)
    else
      deleted = deleted + redis.call('ZREM', KEYS[1], element)
    end
  end
end
return { deleted, #elements }
