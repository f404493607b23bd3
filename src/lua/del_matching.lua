-- Removes entries of one list by their exact stored bytes. The caller read the list (LRANGE),
-- decoded every entry and matched class and args by value; ARGV carries the raw strings of the
-- entries that matched, so jobs written by Ruby, node, cjson or us are all removed as stored.
-- KEYS[1] = the list (queue:<q>)
-- ARGV[1] = most entries to remove, 0 = every matching entry;
-- then pairs: raw entry, how many times the caller saw it (used only with a limit).
-- Returns how many entries were removed.
-- Atomic. The read and this call are two steps, and the race between them is harmless:
-- matching depends on the bytes alone, so any entry with a candidate's bytes matches, whether
-- it was there at the read or pushed since; an entry popped meanwhile is simply not counted.
-- With a limit, at most that many are removed, first ones first (LREM from the head).
-- Distrusts: the list's type, checked before the first LREM (which would otherwise be the
-- check itself; said once here so no later change of the loop can make it a midway error).
--- @include "key_types"
local err = wrong_type('del_matching', {{KEYS[1], 'list'}})
if err then return err end
local limit = tonumber(ARGV[1])
local removed = 0
for i = 2, #ARGV, 2 do
  local n = 0
  if limit > 0 then
    n = math.min(tonumber(ARGV[i + 1]), limit - removed)
    if n <= 0 then break end
  end
  removed = removed + redis.call('LREM', KEYS[1], n, ARGV[i])
end
return removed
