-- Clean stop: removes every key of the worker, as Ruby's unregister_worker and node's untrack.
-- ARGV[1] prefix, ARGV[2] id, ARGV[3] name.
-- Refuses (returns 0) while the in-flight list holds a job: that job must stay visible to
-- dead-worker recovery, so the worker's registration stays too.
local p, id = ARGV[1], ARGV[2]
if redis.call('LLEN', p .. 'inflight:' .. id) > 0 then return 0 end
redis.call('SREM', p .. 'workers', id)
redis.call('DEL', p .. 'worker:' .. id, p .. 'worker:' .. id .. ':started',
  p .. 'stat:processed:' .. id, p .. 'stat:failed:' .. id, p .. 'worker:ping:' .. ARGV[3])
redis.call('HDEL', p .. 'workers:heartbeat', id)
return 1
