-- queue-purge-dead.lua: deletes the oldest dead letters of one queue, at most a window of them,
-- and releases their jobs' idempotency keys. The caller repeats it until as many letters as the
-- list held when the purge began are gone, so that no call keeps Redis busy long.
-- KEYS[1] dead letters (list, oldest first)
-- ARGV[1] idempotency key prefix
-- ARGV[2] most letters to delete
-- Returns how many were deleted.

local entries = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
release_dead_keys(ARGV[1], entries)
redis.call('LTRIM', KEYS[1], #entries, -1)
return #entries
