-- queue-enqueue.lua: stores a batch of jobs of one queue, each in its lane or, when its run-at
-- is in the future by the server's clock, in the delayed set; skips jobs whose idempotency key
-- is still known (see held_key_value). Immediate jobs come with run-at 0, so clock skew never
-- delays them.
-- KEYS[1] delayed set (zset: element by run-at ms)
-- KEYS[2] lane names (set of priorities ever used)
-- ARGV[1] lane key prefix (lane key = prefix .. priority)
-- ARGV[2] notify key prefix (notify key = prefix .. priority)
-- ARGV[3] idempotency key prefix (key = prefix .. idempotency key)
-- ARGV[4] idempotency ttl ms: how long a key is kept after its job has left the queue
-- ARGV[5..] per job, five values: priority, id, idempotency key or '', run-at ms (0 when
--          immediate), element
-- Returns one value per job: '' when stored, else the id of the job that holds its key; then 1
-- if a lane name was new to the queue (first enqueue, or its data was lost), else 0.

local now = now_ms()
local idempotency_ttl = ARGV[4]
local lanes = {}
local due_later = {}
local woken = {}
local results = {}
local priorities = {}
for i = 5, #ARGV, 5 do
  priorities[ARGV[i]] = true
end
reach_lanes(ARGV[1], ARGV[2], priorities)
-- Idempotency keys need no such step: the claims below are the script's first writes, and while
-- the slot migrates a key the node does not hold can be neither read nor created, so a claim
-- fails before anything was written.
for i = 5, #ARGV, 5 do
  local priority, id, key = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local run_at = tonumber(ARGV[i + 3])
  local earlier = false
  if key ~= '' then
    earlier = redis.call('SET', ARGV[3] .. key, held_key_value(id, idempotency_ttl), 'NX', 'GET')
  end
  if earlier then
    results[#results + 1] = key_holder(earlier)
  else
    results[#results + 1] = ''
    if run_at > now then
      due_later[#due_later + 1] = run_at
      due_later[#due_later + 1] = ARGV[i + 4]
    else
      add_to_group(lanes, priority, ARGV[i + 4])
    end
    woken[priority] = true
  end
end
push_grouped(ARGV[1], lanes)
call_chunked('ZADD', KEYS[1], due_later)
local new_lane = 0
for priority in pairs(woken) do
  new_lane = math.max(new_lane, redis.call('SADD', KEYS[2], priority))
  wake(ARGV[2] .. priority)
end
results[#results + 1] = new_lane
return results
