-- Fires one recurring schedule: enqueue its job and record the fire in
-- delayed:last_enqueued_at (resque-scheduler's hash), guarded by a compare-and-set on that
-- record.
-- KEYS[1] = <ns>:delayed:last_enqueued_at, KEYS[2] = <ns>:queues
-- ARGV[1] = key prefix, ARGV[2] = wake channel, ARGV[3] = schedule name,
-- ARGV[4] = "1" if a previous record was seen, else "0", ARGV[5] = that record,
-- ARGV[6] = new record (Ruby Time#to_s), ARGV[7] = queue ("" = a hook vetoed: only record),
-- ARGV[8] = payload
-- Returns 1 when fired, 0 when the record changed since it was read (another scheduler fired
-- this slot: nothing is enqueued).
-- Crash windows: none; the job and the record are written together, so a slot is neither
-- lost (record without job) nor fired twice (job without record) by a crash.
local cur = redis.call('HGET', KEYS[1], ARGV[3])
if ARGV[4] == '1' then
  if cur ~= ARGV[5] then return 0 end
elseif cur then
  return 0
end
if ARGV[7] ~= '' then
  redis.call('SADD', KEYS[2], ARGV[7])
  redis.call('RPUSH', ARGV[1] .. 'queue:' .. ARGV[7], ARGV[8])
  redis.call('PUBLISH', ARGV[2], ARGV[7])
end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[6])
return 1
