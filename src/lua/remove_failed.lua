-- Removes the failed entry at an index (Ruby's Failure.remove: LSET a sentinel, LREM it).
-- KEYS[1] = failed; ARGV[1] = index, ARGV[2] = sentinel (a string no real entry holds)
-- Returns 1 when removed, 0 when the index is out of range.
-- Atomic: done by Ruby as two commands, two concurrent removals could each LREM the other's
-- sentinel; here nothing runs between the LSET and the LREM, so exactly this entry goes.
-- Distrusts: the failed list's type, checked before anything else (the LINDEX would catch it
-- too, before the LSET; the explicit check gives the error a clear message).
--- @include "key_types"
local err = wrong_type('remove_failed', {{KEYS[1], 'list'}})
if err then return err end
if not redis.call('LINDEX', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('LSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('LREM', KEYS[1], 1, ARGV[2])
return 1
