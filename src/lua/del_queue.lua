-- Deletes a queue: DEL queue:<q> and SREM queues <q>.
-- KEYS[1] = queue:<q>, KEYS[2] = queues; ARGV[1] = q.
-- Atomic: nobody sees the queue listed without its list being gone, or the reverse.
-- Distrusts: the type of `queues`, checked before the DEL (an SREM failing after it would
-- leave the queue listed with its list gone). queue:<q> is deleted whatever its type.
--- @include "key_types"
local err = wrong_type('del_queue', {{KEYS[2], 'set'}})
if err then return err end
redis.call('DEL', KEYS[1])
return redis.call('SREM', KEYS[2], ARGV[1])
