-- Removes one delayed job wherever it is scheduled, in node's and Ruby's encodings.
-- KEYS[1] = delayed_queue_schedule, KEYS[2] = timestamps:<node item>,
-- KEYS[3] = timestamps:<Ruby item>
-- ARGV[1] = key prefix ("resque:"), ARGV[2] = node item, ARGV[3] = Ruby item
-- Returns the timestamps S (strings) from which an entry was removed.
-- Atomic: the list entries, the timestamps members and, for a list left empty, the list and
-- its schedule entry go together, so the scheduler never meets a half-removed job.
--
-- The one key not passed in KEYS: the delayed lists. Their names are the members of the two
-- timestamps sets ("delayed:<S>", un-namespaced as the peers write them), data that this
-- script reads in the same atomic step in which it removes them, so only the namespace prefix
-- comes from C++ (protocol::del_delayed) and the list key is prefix .. member. Passing them
-- in would mean reading the sets in C++ first and a compare-and-retry here (a member added or
-- removed in between), a second round trip for the same result.
--
-- Distrusts: the types of the schedule, of both sets and of every delayed list they name. All
-- are checked before the first write, so a wrong-typed key refuses the call with nothing
-- removed (never some lists cleaned and the job left scheduled in others).
--- @include "key_types"
local err = wrong_type('del_delayed', {{KEYS[1], 'zset'}, {KEYS[2], 'set'}, {KEYS[3], 'set'}})
if err then return err end
local members = {}
for i = 2, 3 do
  members[i] = redis.call('SMEMBERS', KEYS[i])
  local wanted = {}
  for _, member in ipairs(members[i]) do
    if string.match(member, '^delayed:(.+)$') then
      wanted[#wanted + 1] = {ARGV[1] .. member, 'list'}
    end
  end
  err = wrong_type('del_delayed', wanted)
  if err then return err end
end

local removed, seen = {}, {}
for i = 2, 3 do
  local item = ARGV[i]
  for _, member in ipairs(members[i]) do
    local ts = string.match(member, '^delayed:(.+)$')
    if ts then
      local list = ARGV[1] .. member
      local n = redis.call('LREM', list, 0, item)
      if n > 0 and not seen[ts] then
        seen[ts] = true
        removed[#removed + 1] = ts
      end
      if redis.call('LLEN', list) == 0 then
        redis.call('DEL', list)
        redis.call('ZREM', KEYS[1], ts)
      end
    end
    redis.call('SREM', KEYS[i], member)
  end
end
return removed
