-- queue-common.lua: helpers prepended to every queue-*.lua script before it is loaded; never run
-- on its own. KEYS: none. ARGV: none.
--
-- Job element, format 1 (big-endian), as stored in lanes, the delayed set and the leases hash:
--   B format (1) | I4 attempt | i8 runAt epoch ms | I2 + bytes priority | I2 + bytes id | rest
-- The rest (max attempts, created-at, idempotency key, headers, payload) is read by Java only.
-- In the leases hash an element keeps the attempt it had while waiting: the delivery it is
-- leased for is added when the lease ends (retry, dead letter, recovery), and not at all when it
-- is released. The hot path (fetch, ack) thus never rewrites an element.
-- Dead-letter entry, format 2:
--   B format (2) | i8 dead-lettered at epoch ms (server clock) | i8 error at epoch ms
--   | I2 + bytes job id | I2 + bytes error type | I4 + bytes error message
--   | job element (or the undecodable data as found)
-- Format 1, written before dead-letter retention, lacks the dead-lettered time; both are read.

local JOB_HEADER = '>BI4i8I2c0I2c0'
local NO_KEY = 0xFFFF
local MIN_JOB_LENGTH = 17
local DEAD_HEADER = '>Bi8i8I2c0I2c0I4c0'
local DEAD_HEADER_1 = '>Bi8I2c0I2c0I4c0'
local CHUNK = 1000
-- Most entries past the age one dead-lettering deletes beyond as many as it adds: letters that
-- age out together (a poison flood) go over several calls, not in one script that blocks Redis.
local MOST_AGED = 1000

-- The server's clock in epoch milliseconds.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The server's clock in epoch microseconds (about 1.8e15 in 2026: exact in a Lua number).
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- attempt, runAt, priority, id of a job element; nil when the data is not a format-1 element.
local function read_job(element)
  if string.byte(element, 1) ~= 1 then
    return nil
  end
  local ok, _, attempt, run_at, priority, id = pcall(struct.unpack, JOB_HEADER, element)
  if not ok then
    return nil
  end
  return attempt, run_at, priority, id
end

-- Whether the data starts like a format-1 job element: cheap enough to check on every fetch.
local function looks_like_job(element)
  return string.byte(element, 1) == 1 and #element >= MIN_JOB_LENGTH
end

-- The id of an element that looks like a job, read without unpacking the rest.
local function job_id(element)
  local priority_length = struct.unpack('>I2', element, 14)
  local id_at = 16 + priority_length
  if #element < id_at + 1 then
    return nil
  end
  local id_length = struct.unpack('>I2', element, id_at)
  return string.sub(element, id_at + 2, id_at + 1 + id_length)
end

-- The idempotency key of a job element, or nil when it has none or cannot be read. After the
-- id come max attempts (I4), created-at (i8) and the key (I2 length, 0xFFFF for none, bytes).
-- Read at offsets, not unpacked: every ack reads it.
local function job_key(element)
  if not looks_like_job(element) then
    return nil
  end
  local id_at = 16 + struct.unpack('>I2', element, 14)
  if #element < id_at + 1 then
    return nil
  end
  local length_at = id_at + 2 + struct.unpack('>I2', element, id_at) + 12
  if #element < length_at + 1 then
    return nil
  end
  local length = struct.unpack('>I2', element, length_at)
  if length == NO_KEY or #element < length_at + 1 + length then
    return nil
  end
  return string.sub(element, length_at + 2, length_at + 1 + length)
end

-- An idempotency key is held, with no expiry, while its job is in the queue (waiting, delayed,
-- leased or dead-lettered); its value is the job's id and the producer's TTL in ms. Once the job
-- has left (completed, deleted, dead letter removed), the key is kept for that TTL more. Keys
-- written before this scheme hold only the id, have their TTL already, and are left alone.
local function held_key_value(id, ttl_ms)
  return id .. '\n' .. ttl_ms
end

-- The id of the job that holds a key with this value (the whole value for a key written before
-- the scheme above).
local function key_holder(value)
  return string.match(value, '^(.*)\n%d+$') or value
end

-- Applies `apply(name, ttl_ms)` to the idempotency key of a job element when that job holds it.
-- Called after a script's first write, so it reads with pcall: a key this node no longer holds
-- (its slot migrating, see reach_lanes) or of another type must not stop the script half-way;
-- that key is left as it is.
local function with_held_key(prefix, element, id, apply)
  local key = element and job_key(element)
  if not key then
    return
  end
  local name = prefix .. key
  local value = redis.pcall('GET', name)
  if type(value) ~= 'string' then
    return
  end
  local holder, ttl = string.match(value, '^(.*)\n(%d+)$')
  if holder == id then
    apply(name, tonumber(ttl))
  end
end

-- The job of the element has left the queue: its key is kept for the producer's TTL from now.
local function release_key(prefix, element, id)
  with_held_key(prefix, element, id, function(name, ttl)
    redis.pcall('PEXPIRE', name, ttl)
  end)
end

-- The job of the element is back in the queue from the dead letters: its key is held again.
local function hold_key(prefix, element, id)
  with_held_key(prefix, element, id, function(name)
    redis.pcall('PERSIST', name)
  end)
end

-- The element with its attempt and run-at rewritten; the rest is copied unchanged.
local function rewrite_job(element, attempt, run_at)
  return struct.pack('>BI4i8', 1, attempt, run_at) .. string.sub(element, 14)
end

-- A dead-letter entry. Retention counts its age from `now`, the server's time of the
-- dead-lettering, not from the error's time: that one is a consumer's clock (skewed, or read when
-- the handler failed, before a settlement that may come much later), by which a letter could be
-- deleted early, or one dated ahead stop the age trim at the head of the list. Server times follow
-- the list's order, so the trim stops at the first letter young enough, as the backend's clock does
-- in the in-memory backend.
local function dead_entry(now, error_at, id, error_type, message, element)
  return struct.pack(DEAD_HEADER, 2, now, error_at, #id, id, #error_type, error_type, #message, message)
    .. element
end

-- The job element inside a dead-letter entry, the entry's error type and its job id, or nil when
-- the entry cannot be read.
local function dead_job(entry)
  local format = string.byte(entry, 1)
  local header = (format == 2 and DEAD_HEADER) or (format == 1 and DEAD_HEADER_1)
  if not header then
    return nil
  end
  local fields = { pcall(struct.unpack, header, entry) }
  if not fields[1] then
    return nil
  end
  return string.sub(entry, fields[#fields]), fields[#fields - 2], fields[#fields - 3]
end

-- When an entry was dead-lettered (a format-1 entry knows only its error's time), or nil when the
-- entry cannot be read.
local function dead_at(entry)
  local format = string.byte(entry, 1)
  if (format ~= 1 and format ~= 2) or #entry < 9 then
    return nil
  end
  return (struct.unpack('>i8', entry, 2))
end

-- An id for data whose own id cannot be read: stable for the same bytes.
local function undecodable_id(data)
  return 'undecodable-' .. string.sub(redis.sha1hex(data), 1, 16)
end

-- Runs one variadic command over items in chunks, so no call exceeds Lua's stack.
local function call_chunked(command, key, items)
  for i = 1, #items, CHUNK do
    redis.call(command, key, unpack(items, i, math.min(i + CHUNK - 1, #items)))
  end
end

-- HMGET of many fields in chunks, as call_chunked; a missing field gives false, in field order.
local function hmget_chunked(key, fields)
  local values = {}
  for first = 1, #fields, CHUNK do
    local chunk = redis.call('HMGET', key, unpack(fields, first, math.min(first + CHUNK - 1, #fields)))
    for _, value in ipairs(chunk) do
      values[#values + 1] = value
    end
  end
  return values
end

-- Drops completed-history entries ('<ms>:<job id>', newest first) older than the age limit or
-- beyond the size limit. Only the oldest end is looked at, so the cost is what is dropped.
local function trim_completed(key, now, age_ms, size)
  if size < 1 then
    redis.call('DEL', key)
    return
  end
  local cutoff = now - age_ms
  while true do
    local oldest = redis.call('LINDEX', key, -1)
    if not oldest or (tonumber(string.match(oldest, '^%d+')) or 0) > cutoff then
      break
    end
    redis.call('RPOP', key)
  end
  redis.call('LTRIM', key, 0, size - 1)
end

-- Releases the idempotency keys of the jobs in dead-letter entries that are being deleted.
local function release_dead_keys(prefix, entries)
  for _, entry in ipairs(entries) do
    local element, _, id = dead_job(entry)
    release_key(prefix, element, id)
  end
end

-- Appends dead-letter entries (oldest first) to the dead list of key and applies the retention:
-- the newest `limit` entries are kept (0 keeps none); with an age (ms, 0 for none) the entries
-- dead-lettered at or before now - age go from the head, at most MOST_AGED more than were added,
-- and the list expires after the age, so one that gets no more dead letters goes once its newest
-- entry is that old. An entry whose time cannot be read (a foreign writer's) ends the age trim;
-- the limit and the TTL still reach it. No TTL without an age, and one an earlier age set is
-- removed: under a volatile-* maxmemory policy Redis evicts keys with a TTL, and the default keeps
-- every dead letter. Entries the limit drops release their jobs' idempotency keys (key_prefix);
-- with an age, the keys of the new entries expire after the age and their TTL, since the list
-- may expire whole with no script to release them.
local function dead_letter(key, entries, now, limit, age_ms, key_prefix)
  if #entries == 0 then
    return
  end
  if limit < 1 then
    release_dead_keys(key_prefix, entries)
    release_dead_keys(key_prefix, redis.call('LRANGE', key, 0, -1))
    redis.call('DEL', key)
    return
  end
  call_chunked('RPUSH', key, entries)
  if age_ms > 0 then
    for _, entry in ipairs(entries) do
      local element, _, id = dead_job(entry)
      with_held_key(key_prefix, element, id, function(name, ttl)
        redis.pcall('PEXPIRE', name, age_ms + ttl)
      end)
    end
  end
  local over = redis.call('LLEN', key) - limit
  if over > 0 then
    release_dead_keys(key_prefix, redis.call('LRANGE', key, 0, over - 1))
    redis.call('LTRIM', key, -limit, -1)
  end
  if age_ms > 0 then
    local cutoff = now - age_ms
    for _ = 1, #entries + MOST_AGED do
      local oldest = redis.call('LINDEX', key, 0)
      local at = oldest and dead_at(oldest)
      if not at or at > cutoff then
        break
      end
      release_dead_keys(key_prefix, { oldest })
      redis.call('LPOP', key)
    end
    redis.call('PEXPIRE', key, age_ms)
  else
    redis.call('PERSIST', key)
  end
end

-- Touches the lane and wake-up list of every priority in the table's keys. Redis Cluster checks
-- the keys a script declares before it runs, but any other key only when the script reaches it:
-- while the slot migrates to another node, a key this node does not hold (an empty lane, say)
-- stops the script there with its earlier writes kept. Lanes and wake-up lists depend on data, so
-- scripts cannot declare them; they reach them with this before their first write instead.
local function reach_lanes(lane_prefix, notify_prefix, priorities)
  for priority in pairs(priorities) do
    redis.call('EXISTS', lane_prefix .. priority, notify_prefix .. priority)
  end
end

-- The priorities, as a set, of the job elements (nil for a missing one) whose index n passes
-- keep(n), or of all of them without keep; elements that do not read as jobs are left out.
local function priorities_of(elements, keep)
  local priorities = {}
  for n, element in ipairs(elements) do
    if element and (keep == nil or keep(n)) then
      local _, _, priority = read_job(element)
      if priority then
        priorities[priority] = true
      end
    end
  end
  return priorities
end

-- Leaves one wake-up token for consumers blocked on a lane; a token already there is enough.
local function wake(notify_key)
  if redis.call('LLEN', notify_key) == 0 then
    redis.call('RPUSH', notify_key, '1')
  end
end

-- Appends items to the lists named by prefix .. group, one table of items per group.
local function push_grouped(prefix, groups)
  for group, items in pairs(groups) do
    call_chunked('RPUSH', prefix .. group, items)
  end
end

-- Appends the job elements of each priority to the tail of its lane, records the priorities as
-- lanes of the queue and wakes the consumers waiting on them: how dead letters go back to run.
local function push_to_lanes(lane_prefix, notify_prefix, lanes_key, by_priority)
  push_grouped(lane_prefix, by_priority)
  for priority in pairs(by_priority) do
    redis.call('SADD', lanes_key, priority)
    wake(notify_prefix .. priority)
  end
end

local function add_to_group(groups, group, item)
  local items = groups[group]
  if items == nil then
    items = {}
    groups[group] = items
  end
  items[#items + 1] = item
end
