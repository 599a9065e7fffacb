-- queue-purge-dead.lua: deletes every dead letter of one queue.
-- KEYS[1] dead letters (list)
-- ARGV: none
-- Returns how many were deleted.

local count = redis.call('LLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return count
