-- Moves batches of delayed items of one or more timestamps: each item leaves delayed:<ts> and
-- goes to its queue (or the failed list, or a later timestamp) in this one script.
-- KEYS[1] = delayed_queue_schedule, KEYS[2] = queues, KEYS[3] = failed; then per group (one
-- timestamp), in order: delayed:<ts>, resque-cpp:promoted:<ts>, and per item of the group
-- timestamps:<item> and its target (the queue for "push", delayed:<new ts> for "defer";
-- unused otherwise).
-- ARGV[1] = wake channel, ARGV[2] = key prefix, ARGV[3] = number of groups; then per group:
-- ts (zset member), "delayed:<ts>" (the un-namespaced timestamps: member), item count, and per
-- item 4 values: raw item, action, a, b:
--   "push":  a = queue name, b = payload to push (the item as stored, or Ruby's {"class","args"})
--   "fail":  a = failure record JSON (Ruby format, built by the scheduler)
--   "defer": a = new timestamp, b = "delayed:<new ts>" (a vetoed promotion, tried again later)
--   "drop":  (a vetoed promotion, dropped on request)
-- A group's items are the head of its list as the caller read it (delayed_due.lua).
-- Returns one integer per item, all groups in order: 1 moved, 0 no longer there (removed or
-- promoted by someone else since it was read: nothing is pushed for it).
--
-- Cost: O(1) Redis work per item (plus its bytes). The batch is normally still the head of the
-- list, checked with one LRANGE and removed with one LTRIM; only when the list changed since
-- it was read is each item removed by LREM instead (which is what skips vanished items).
-- Identical items share one timestamps: member (both peers SADD it), which must stay while a
-- copy of the item still waits at this timestamp. Looking for a copy in the rest of the list
-- (LPOS) made promotion quadratic, so instead the members are removed when the list is empty:
-- items promoted while others still wait at the timestamp are remembered in the set
-- resque-cpp:promoted:<ts>, whose members' timestamps: entries go when the last item does.
-- Meanwhile a promoted item's timestamps: set still names this timestamp, which Ruby's
-- remove_delayed and scheduled_at read as "maybe still there" (remove_delayed finds nothing to
-- remove), for as long as the due timestamp takes to promote. (Ruby's own scheduler removes the
-- member at each LPOP, even while a copy still waits.)
--
-- Crash windows: none inside (one script). The caller reads the items first (and may run
-- enqueue hooks on its copy); if it dies before this script, nothing has moved, and items
-- that changed meanwhile are skipped here. An emptied delayed list, its schedule entry, its
-- timestamps: members and its promoted: set go in the same step, so a timestamp with items is
-- never unscheduled. A promoted: set whose list is emptied by someone else (Ruby's
-- remove_delayed deletes the list and its schedule entry itself) is never read again: it
-- expires a week after its last write.
-- Distrusts: the types of the keys it writes (checked before the first write: a queue or
-- timestamps key of another type would otherwise fail the script after earlier moves). The
-- timestamps: sets named by a promoted: set are not passed in (they are data read here, built
-- as prefix .. "timestamps:" .. item, as Keys::timestamps does) and so are not checked: their
-- SREM runs under pcall, so one of another type is left alone.
--- @include "key_types"
local channel, prefix, ngroups = ARGV[1], ARGV[2], tonumber(ARGV[3])
local groups, a, k = {}, 4, 4
local wanted = {{KEYS[1], 'zset'}, {KEYS[2], 'set'}, {KEYS[3], 'list'}}
for g = 1, ngroups do
  local grp = {ts = ARGV[a], member = ARGV[a + 1], key = KEYS[k], side = KEYS[k + 1], items = {}}
  local n = tonumber(ARGV[a + 2])
  a, k = a + 3, k + 2
  wanted[#wanted + 1] = {grp.key, 'list'}
  wanted[#wanted + 1] = {grp.side, 'set'}
  for i = 1, n do
    local it = {raw = ARGV[a], action = ARGV[a + 1], a = ARGV[a + 2], b = ARGV[a + 3],
                stamps = KEYS[k], target = KEYS[k + 1]}
    a, k = a + 4, k + 2
    wanted[#wanted + 1] = {it.stamps, 'set'}
    if it.action == 'push' or it.action == 'defer' then wanted[#wanted + 1] = {it.target, 'list'} end
    grp.items[i] = it
  end
  groups[g] = grp
end
local bad = wrong_type('promote', wanted)
if bad then return bad end

local out, woken = {}, {}
for _, grp in ipairs(groups) do
  local items, n = grp.items, #grp.items
  local present = {}
  if n > 0 then
    local head = redis.call('LRANGE', grp.key, 0, n - 1)
    local same = #head == n
    for i = 1, n do
      if not same then break end
      same = head[i] == items[i].raw
    end
    if same then
      redis.call('LTRIM', grp.key, n, -1)
      for i = 1, n do present[i] = true end
    else
      for i = 1, n do present[i] = redis.call('LREM', grp.key, 1, items[i].raw) == 1 end
    end
  end
  for i = 1, n do
    local it = items[i]
    if present[i] then
      if it.action == 'push' then
        redis.call('SADD', KEYS[2], it.a)
        redis.call('RPUSH', it.target, it.b)
        woken[it.a] = true
      elseif it.action == 'fail' then
        redis.call('RPUSH', KEYS[3], it.a)
      elseif it.action == 'defer' then
        redis.call('RPUSH', it.target, it.raw)
        redis.call('SADD', it.stamps, it.b)
        redis.call('ZADD', KEYS[1], it.a, it.a)
      end
      out[#out + 1] = 1
    else
      out[#out + 1] = 0
    end
  end
  if redis.call('LLEN', grp.key) == 0 then
    -- Nothing waits at this timestamp any more: no item keeps its timestamps: member.
    for i = 1, n do
      if present[i] then redis.call('SREM', items[i].stamps, grp.member) end
    end
    for _, raw in ipairs(redis.call('SMEMBERS', grp.side)) do
      redis.pcall('SREM', prefix .. 'timestamps:' .. raw, grp.member)
    end
    redis.call('DEL', grp.key, grp.side)
    redis.call('ZREM', KEYS[1], grp.ts)
  else
    local added = false
    for i = 1, n do
      if present[i] then
        redis.call('SADD', grp.side, items[i].raw)
        added = true
      end
    end
    if added then redis.call('EXPIRE', grp.side, 604800) end
  end
end
for q in pairs(woken) do redis.call('PUBLISH', channel, q) end
return out
