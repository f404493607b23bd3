-- Fires one recurring schedule: enqueue its job and record the fire in
-- delayed:last_enqueued_at (resque-scheduler's hash), guarded by a compare-and-set on that
-- record.
-- KEYS[1] = delayed:last_enqueued_at, KEYS[2] = queues, KEYS[3] = the job's queue
-- ARGV[1] = wake channel, ARGV[2] = schedule name,
-- ARGV[3] = "1" if a previous record was seen, else "0", ARGV[4] = that record,
-- ARGV[5] = new record (Ruby Time#to_s), ARGV[6] = queue name ("" = a hook vetoed: only
-- record), ARGV[7] = payload
-- Returns 1 when fired, 0 when the record changed since it was read (another scheduler fired
-- this slot: nothing is enqueued).
-- Crash windows: none; the job and the record are written together, so a slot is neither
-- lost (record without job) nor fired twice (job without record) by a crash.
-- Distrusts: the types of the hash, the queues set and the queue (HGET errors on a wrong-typed
-- hash before any write; the other two are checked before the first write).
--- @include "key_types"
local cur = redis.call('HGET', KEYS[1], ARGV[2])
if ARGV[3] == '1' then
  if cur ~= ARGV[4] then return 0 end
elseif cur then
  return 0
end
if ARGV[6] ~= '' then
  local bad = wrong_type('schedule_fire', {{KEYS[2], 'set'}, {KEYS[3], 'list'}})
  if bad then return bad end
  redis.call('SADD', KEYS[2], ARGV[6])
  redis.call('RPUSH', KEYS[3], ARGV[7])
  redis.call('PUBLISH', ARGV[1], ARGV[6])
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[5])
return 1
