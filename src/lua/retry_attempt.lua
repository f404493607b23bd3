-- Retry bookkeeping after a failed attempt, node-resque's commands in one step.
-- KEYS[1] attempt counter, KEYS[2] last-error key, ARGV[1] TTL in seconds, ARGV[2] error JSON.
-- Returns the attempt number (0 for the first failure), as node's SETNX -1 + INCR gives it.
-- node sends SETNX, INCR, EXPIRE, SETEX separately: a crash in between can leave a counter
-- without TTL. Here the counter and the error are written together with their TTL.
redis.call('SETNX', KEYS[1], -1)
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('SETEX', KEYS[2], ARGV[1], ARGV[2])
return n
