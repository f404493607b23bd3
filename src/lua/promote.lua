-- Moves a batch of delayed items of one timestamp: each item leaves delayed:<ts> and goes to
-- its queue (or the failed list, or a later timestamp) in this one script.
-- KEYS[1] = delayed_queue_schedule, KEYS[2] = delayed:<ts>, KEYS[3] = queues,
-- KEYS[4] = failed; per item i: KEYS[4+2i-1] = timestamps:<item>, KEYS[4+2i] = its target
-- (the queue for "push", delayed:<new ts> for "defer"; unused otherwise).
-- ARGV[1] = wake channel, ARGV[2] = ts (zset member), ARGV[3] = "delayed:<ts>" (the
-- un-namespaced timestamps: member), then groups of 4: raw item, action, a, b:
--   "push":  a = queue name, b = payload to push (the item as stored, or Ruby's {"class","args"})
--   "fail":  a = failure record JSON (Ruby format, built by the scheduler)
--   "defer": a = new timestamp, b = "delayed:<new ts>" (a vetoed promotion, tried again later)
--   "drop":  (a vetoed promotion, dropped on request)
-- Returns one integer per item: 1 moved, 0 no longer there (removed or promoted by someone
-- else since it was read: nothing is pushed for it).
--
-- Crash windows: none inside (one script). The caller reads the items first (and may run
-- enqueue hooks on its copy); if it dies before this script, nothing has moved, and items
-- that changed meanwhile are skipped here because each move starts with LREM of that exact
-- item. An emptied delayed list and its schedule entry go in the same step, so a timestamp
-- with items is never unscheduled.
-- Distrusts: the types of the keys it writes (checked before the first write: a queue or
-- timestamps key of another type would otherwise fail the script after earlier moves).
--- @include "key_types"
local channel, ts, member = ARGV[1], ARGV[2], ARGV[3]
local wanted = {{KEYS[1], 'zset'}, {KEYS[2], 'list'}, {KEYS[3], 'set'}, {KEYS[4], 'list'}}
local n = (#ARGV - 3) / 4
for i = 1, n do
  local action = ARGV[4 * i + 1]
  wanted[#wanted + 1] = {KEYS[4 + 2 * i - 1], 'set'}
  if action == 'push' or action == 'defer' then wanted[#wanted + 1] = {KEYS[4 + 2 * i], 'list'} end
end
local bad = wrong_type('promote', wanted)
if bad then return bad end
local out, woken = {}, {}
for i = 1, n do
  local raw, action, a, b = ARGV[4 * i], ARGV[4 * i + 1], ARGV[4 * i + 2], ARGV[4 * i + 3]
  local stamps, target = KEYS[4 + 2 * i - 1], KEYS[4 + 2 * i]
  if redis.call('LREM', KEYS[2], 1, raw) == 1 then
    -- Identical items share one timestamps: member (both peers SADD it); keep it while a copy
    -- of this item is still waiting at this timestamp.
    if not redis.call('LPOS', KEYS[2], raw) then
      redis.call('SREM', stamps, member)
    end
    if action == 'push' then
      redis.call('SADD', KEYS[3], a)
      redis.call('RPUSH', target, b)
      woken[a] = true
    elseif action == 'fail' then
      redis.call('RPUSH', KEYS[4], a)
    elseif action == 'defer' then
      redis.call('RPUSH', target, raw)
      redis.call('SADD', stamps, b)
      redis.call('ZADD', KEYS[1], a, a)
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if redis.call('LLEN', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[1], ts)
end
for q in pairs(woken) do redis.call('PUBLISH', channel, q) end
return out
