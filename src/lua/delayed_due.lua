-- Reads the due delayed timestamps, oldest first, and up to N items in all from the head of
-- their lists (read-only), so many timestamps are promoted in one round trip of this script and
-- one of promote.lua.
-- KEYS[1] = delayed_queue_schedule
-- ARGV[1] = key prefix, ARGV[2] = N, ARGV[3] = the pass's bound (optional): a pass of several
-- rounds judges "due" by the time its first round read, so an item it deferred by a vetoed
-- promotion (to now + a delay) is not found due again in the same pass when the clock moves on.
-- Returns {now, ts1, items1, ts2, items2, ...}: now = Redis TIME seconds, so every scheduler
-- judges "due" by the same clock; items_i is the head of delayed:<ts_i> (every item of a list
-- but perhaps the last one read). {now} when nothing is due. Changes nothing: promote.lua
-- re-checks every item it moves.
-- The keys built here, delayed:<ts>, can only be known inside the script: each ts is found by
-- the ZRANGEBYSCORE above it (Keys::delayed builds the same name in C++).
-- Distrusts: delayed:<ts> holding another type (anyone may write it): its items are reported
-- as false so the caller can set it aside instead of failing on every poll.
local now = tonumber(redis.call('TIME')[1])
local upto = tonumber(ARGV[3])
if upto and upto < now then now = upto end
local budget = tonumber(ARGV[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, budget)
local out = {tostring(now)}
for _, ts in ipairs(due) do
  if budget <= 0 then break end
  local key = ARGV[1] .. 'delayed:' .. ts
  local t = redis.call('TYPE', key)['ok']
  out[#out + 1] = ts
  if t ~= 'list' and t ~= 'none' then
    out[#out + 1] = false
  else
    local items = redis.call('LRANGE', key, 0, budget - 1)
    budget = budget - math.max(#items, 1)
    out[#out + 1] = items
  end
end
return out
