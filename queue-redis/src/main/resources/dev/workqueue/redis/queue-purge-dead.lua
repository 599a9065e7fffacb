-- queue-purge-dead.lua: deletes every dead letter of one queue. UNLINK frees a long list in the
-- background, so the script stays O(1) however many dead letters there are.
-- KEYS[1] dead letters (list)
-- ARGV: none
-- Returns how many were deleted.

local count = redis.call('LLEN', KEYS[1])
redis.call('UNLINK', KEYS[1])
return count
