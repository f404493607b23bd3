-- Registers a worker as Ruby and node both see it.
-- ARGV[1] prefix, ARGV[2] id, ARGV[3] started ("YYYY-MM-DD HH:MM:SS +ZZZZ"),
-- ARGV[4] heartbeat ("YYYY-MM-DDTHH:MM:SS+00:00"), ARGV[5] name, ARGV[6] ping JSON.
-- One script so a worker is never half-registered (e.g. in `workers` without a heartbeat,
-- which a starting Ruby worker would prune).
local p, id = ARGV[1], ARGV[2]
redis.call('SADD', p .. 'workers', id)
redis.call('SET', p .. 'worker:' .. id .. ':started', ARGV[3])
redis.call('HSET', p .. 'workers:heartbeat', id, ARGV[4])
redis.call('SET', p .. 'worker:ping:' .. ARGV[5], ARGV[6])
return 1
