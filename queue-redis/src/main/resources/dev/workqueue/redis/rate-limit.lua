-- rate-limit.lua: one acquisition attempt on a shared rate limiter, under the generic cell rate
-- algorithm (GCRA) on the server's clock, so the clocks of the clients do not matter. Each permit
-- costs one emission interval of schedule; the schedule may run at most burst intervals ahead of
-- now. Reads TIME and then writes, which needs Redis 5 or later (effects replication).
-- KEYS[1] the limiter's theoretical arrival time (string: microseconds of server time);
--         absent means idle. It expires once that time has passed, so idle limiters leave no key.
-- ARGV[1] emission interval in microseconds, the cost of one permit (may be fractional)
-- ARGV[2] burst: permits that may be taken at once after idleness
-- ARGV[3] permits requested
-- ARGV[4] longest wait in microseconds the caller accepts for a reservation (see below)
-- Returns { admitted (1 or 0), wait in microseconds }:
--   { 1, 0 } admitted now;
--   { 0, w } not admitted and nothing recorded: ask again in w microseconds;
--   { 1, w } reserved now, proceed in w microseconds: only for more permits than the burst
--            (which could never fit otherwise) and only when w <= ARGV[4].

local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local permits = tonumber(ARGV[3])
local longest_reservation = tonumber(ARGV[4])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then
  tat = now
end
local new_tat = tat + permits * interval
local wait = math.ceil(new_tat - burst * interval - now)
if wait > 0 and (permits <= burst or wait > longest_reservation) then
  return { 0, wait }
end
-- %.3f keeps sub-microsecond intervals; Lua's default number format would round to 14 digits.
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
if wait > 0 then
  return { 1, wait }
end
return { 1, 0 }
