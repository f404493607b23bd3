-- Moves a batch of delayed items of one timestamp: each item leaves delayed:<ts> and goes to
-- its queue (or the failed list, or a later timestamp) in this one script.
-- KEYS[1] = <ns>:delayed_queue_schedule, KEYS[2] = <ns>:delayed:<ts>, KEYS[3] = <ns>:queues,
-- KEYS[4] = <ns>:failed
-- ARGV[1] = key prefix, ARGV[2] = wake channel, ARGV[3] = ts (zset member),
-- ARGV[4] = "delayed:<ts>" (the un-namespaced timestamps: member),
-- then groups of 4: action, raw item, a, b:
--   "push":  a = queue, b = payload to push (the item as stored, or Ruby's {"class","args"})
--   "fail":  a = failure record JSON (Ruby format, built by the scheduler)
--   "defer": a = new timestamp (a vetoed promotion, tried again later)
--   "drop":  (a vetoed promotion, dropped on request)
-- Returns one integer per item: 1 moved, 0 no longer there (removed or promoted by someone
-- else since it was read: nothing is pushed for it).
--
-- Crash windows: none inside (one script). The caller reads the items first (and may run
-- enqueue hooks on its copy); if it dies before this script, nothing has moved, and items
-- that changed meanwhile are skipped here because each move starts with LREM of that exact
-- item. An emptied delayed list and its schedule entry go in the same step, so a timestamp
-- with items is never unscheduled.
local p, channel, ts, member = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local out, woken = {}, {}
for i = 5, #ARGV, 4 do
  local action, raw, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('LREM', KEYS[2], 1, raw) == 1 then
    -- Identical items share one timestamps: member (both peers SADD it); keep it while a copy
    -- of this item is still waiting at this timestamp.
    if not redis.call('LPOS', KEYS[2], raw) then
      redis.call('SREM', p .. 'timestamps:' .. raw, member)
    end
    if action == 'push' then
      redis.call('SADD', KEYS[3], a)
      redis.call('RPUSH', p .. 'queue:' .. a, b)
      woken[a] = true
    elseif action == 'fail' then
      redis.call('RPUSH', KEYS[4], a)
    elseif action == 'defer' then
      redis.call('RPUSH', p .. 'delayed:' .. a, raw)
      redis.call('SADD', p .. 'timestamps:' .. raw, 'delayed:' .. a)
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
