#!lua flags=allow-oom
-- queue-pause.lua: pauses or resumes one queue. While the flag exists, fetches take nothing. A
-- resume leaves a wake-up token on every lane, so that consumers blocked while the queue was
-- paused take its waiting jobs at once instead of at the end of their wait.
-- KEYS[1] paused flag (string)
-- KEYS[2] lane names (set of priorities ever used)
-- ARGV[1] lane key prefix (lane key = prefix .. priority)
-- ARGV[2] notify key prefix (notify key = prefix .. priority)
-- ARGV[3] '1' to pause, '0' to resume
-- Returns 1 when the state changed, 0 when the queue already was so.

if ARGV[3] == '1' then
  return redis.call('SET', KEYS[1], '1', 'NX') and 1 or 0
end
local lanes = {}
for _, priority in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  lanes[priority] = true
end
reach_lanes(ARGV[1], ARGV[2], lanes)
if redis.call('DEL', KEYS[1]) == 0 then
  return 0
end
for priority in pairs(lanes) do
  wake(ARGV[2] .. priority)
end
return 1
