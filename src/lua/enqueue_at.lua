-- Delayed enqueue in resque-scheduler's layout, with the duplicate check in the same step.
-- KEYS[1] = delayed:<S>, KEYS[2] = delayed_queue_schedule,
-- KEYS[3] = timestamps:<item as written (the deployment's dialect)>,
-- KEYS[4] = timestamps:<the same job in the other dialect> (only looked up)
-- ARGV[1] = the item, ARGV[2] = S, ARGV[3] = "delayed:<S>" (un-namespaced, as both peers write)
-- Returns 0 for a duplicate (same job already delayed at S in either encoding), 1 when written.
-- Atomic: the list entry, the timestamps member and the schedule entry appear together or not
-- at all, so the scheduler never finds a half-written delayed job.
-- Distrusts: the types of the four keys. All are checked before the first write (SISMEMBER
-- would catch the sets, but a wrong-typed schedule would fail only after the RPUSH).
--- @include "key_types"
local err = wrong_type('enqueue_at', {{KEYS[1], 'list'}, {KEYS[2], 'zset'}, {KEYS[3], 'set'},
                                      {KEYS[4], 'set'}})
if err then return err end
if redis.call('SISMEMBER', KEYS[3], ARGV[3]) == 1 or redis.call('SISMEMBER', KEYS[4], ARGV[3]) == 1 then
  return 0
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[2])
return 1
