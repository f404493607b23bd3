-- node's retryAndRemoveFailed: remove the failed entry (by its exact bytes), enqueue its job.
-- KEYS[1] = failed, KEYS[2] = queues, KEYS[3] = queue:<q>
-- ARGV[1] = the entry as stored, ARGV[2] = q, ARGV[3] = payload, ARGV[4] = wake channel
-- Returns 1, or 0 when the entry is no longer in the list (nothing enqueued).
-- Atomic: node does LREM then a separate enqueue, so a crash in between loses the job; here
-- the entry leaves the failed list only together with the job entering its queue.
-- Distrusts: the types of the three keys, checked before the first write: a wrong-typed
-- `queues` or queue list would otherwise fail after the LREM, and the job would be lost.
--- @include "key_types"
local err = wrong_type('retry_and_remove_failed',
                       {{KEYS[1], 'list'}, {KEYS[2], 'set'}, {KEYS[3], 'list'}})
if err then return err end
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then
  return 0
end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
