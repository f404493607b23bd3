-- Ruby's Failure.requeue: the failed entry gets "retried_at" and stays; its job is enqueued
-- (SADD queues, RPUSH, PUBLISH, as enqueue.lua does).
-- KEYS[1] = failed, KEYS[2] = queues, KEYS[3] = queue:<q>
-- ARGV[1] = index where the entry was read, ARGV[2] = the entry as read,
-- ARGV[3] = the entry with retried_at, ARGV[4] = q, ARGV[5] = payload, ARGV[6] = wake channel
-- The caller computed the new entry from what it read; the entry is replaced only if it still
-- holds those bytes (at that index, or - when entries before it were removed meanwhile - at
-- the first position holding them, found with LPOS on Redis >= 6.0.6).
-- Returns 1 when done, 0 when the entry is gone or changed (nothing written).
-- Atomic: the entry update and the enqueue happen together or not at all, so a crash can
-- neither requeue a job without marking its entry nor mark it without requeueing.
-- Distrusts: the types of the three keys, checked before the first write: a wrong-typed
-- `queues` or queue list would otherwise fail after the LSET, leaving the entry marked
-- retried with its job never enqueued.
--- @include "key_types"
local err = wrong_type('retry_failed', {{KEYS[1], 'list'}, {KEYS[2], 'set'}, {KEYS[3], 'list'}})
if err then return err end
local idx = tonumber(ARGV[1])
if redis.call('LINDEX', KEYS[1], idx) ~= ARGV[2] then
  local pos = redis.pcall('LPOS', KEYS[1], ARGV[2])
  if type(pos) ~= 'number' then
    return 0
  end
  idx = pos
end
redis.call('LSET', KEYS[1], idx, ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('RPUSH', KEYS[3], ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[4])
return 1
