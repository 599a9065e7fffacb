#!lua flags=allow-oom
-- rate-limit.lua: one acquisition on a shared rate limiter under the generic cell rate algorithm
-- (GCRA), on the server's clock so that the clocks of the clients do not matter. Each permit
-- costs one emission interval of schedule; the schedule may run at most burst intervals ahead of
-- now. A request due later is booked now, so a caller that wakes a little late loses nothing and
-- callers are served in the order they asked. Reads TIME and then writes, which needs Redis 5 or
-- later (effects replication); the flags line needs Redis 7.
-- Flagged allow-oom: a Redis at its maxmemory refuses new jobs, but must not stop producers or
-- host code that share the limiter. Its one key per limiter is a few dozen bytes and expires.
-- KEYS[1] the limiter's theoretical arrival time (string: microseconds of server time, "%.3f");
--         absent means idle. It expires once that time has passed, so idle limiters leave no key.
-- ARGV[1] emission interval in microseconds, the cost of one permit (may be fractional)
-- ARGV[2] burst: permits that may be taken at once after idleness
-- ARGV[3] permits requested
-- ARGV[4] longest wait in microseconds the caller accepts
-- Returns { admitted (1 or 0), wait in microseconds, booked-until or "" }:
--   { 1, 0, t } admitted now; t is the new theoretical arrival time;
--   { 1, w, t } booked now, due in w microseconds (w <= ARGV[4]): the caller waits, then proceeds;
--               to give the booking back, pass t to rate-limit-release.lua;
--   { 0, w, "" } not due within ARGV[4]: nothing recorded; due in w microseconds at the earliest.

local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local permits = tonumber(ARGV[3])
local longest_wait = tonumber(ARGV[4])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then
  tat = now
end
local booked_until = tat + permits * interval
local wait = math.max(0, math.ceil(booked_until - burst * interval - now))
if wait > longest_wait then
  return { 0, wait, '' }
end
-- %.3f keeps sub-microsecond intervals; Lua's default number format would round to 14 digits.
local stored = string.format('%.3f', booked_until)
redis.call('SET', KEYS[1], stored, 'PX', math.ceil((booked_until - now) / 1000) + 1)
return { 1, wait, stored }
