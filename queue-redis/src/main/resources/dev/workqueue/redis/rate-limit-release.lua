#!lua flags=allow-oom
-- rate-limit-release.lua: gives back a booking made by rate-limit.lua whose caller stopped waiting
-- (interrupted). Only the latest booking can be given back exactly: if another caller has booked
-- after it, the schedule is left alone and the released stretch simply goes unused.
-- Flagged allow-oom as rate-limit.lua is: it only shortens or deletes the key.
-- KEYS[1] the limiter's theoretical arrival time, as in rate-limit.lua
-- ARGV[1] emission interval in microseconds
-- ARGV[2] permits of the booking
-- ARGV[3] the booked-until value rate-limit.lua returned for it
-- Returns 1 when the booking was given back, 0 when it could not be.

if redis.call('GET', KEYS[1]) ~= ARGV[3] then
  return 0
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(ARGV[3]) - tonumber(ARGV[2]) * tonumber(ARGV[1])
if tat <= now then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
end
return 1
