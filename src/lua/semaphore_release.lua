-- Semaphore release (resque::Semaphore): frees the holder's slot (and the set once it is
-- empty). KEYS[1] slot set, ARGV[1] holder token. Returns 1 if the token held a slot.
-- One script so the emptiness check and the DEL see the same set.
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return removed
