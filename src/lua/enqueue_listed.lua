-- The second half of a long job's enqueue (protocol::enqueue, payloads of 64 KB and more): the
-- client sends MULTI, RPUSH queue:<q> <payloads>, EVAL of this script, EXEC, so the payload
-- reaches the list without passing through Lua (Lua copies and hashes every byte of every
-- string it is given: enqueue.lua cost Redis ~2.3x node-resque's MULTI for a 1 MB job).
-- KEYS[1] = <ns>:queues, KEYS[2] = queue:<q>; ARGV[1] = wake channel, ARGV[2] = q, ARGV[3] =
-- how many jobs the RPUSH before this script pushed.
-- Returns that count.
-- Atomic with the RPUSH (one transaction), and, as enqueue.lua, all or nothing: a wrong-typed
-- queue:<q> made the RPUSH fail (nothing written) and is refused here; a wrong-typed `queues`
-- is refused after taking back what the RPUSH pushed (the tail of the list), so the call
-- leaves nothing behind either way.
--- @include "key_types"
local err = wrong_type('enqueue', {{KEYS[2], 'list'}})
if err then return err end
err = wrong_type('enqueue', {{KEYS[1], 'set'}})
if err then
  for _ = 1, tonumber(ARGV[3]) do redis.call('RPOP', KEYS[2]) end
  return err
end
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return tonumber(ARGV[3])
