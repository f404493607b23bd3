-- QueueLock acquire: node-resque's lock, taken atomically.
-- KEYS[1] lock key, ARGV[1] lock timeout in seconds.
-- Returns {1, value} when taken (value = the string written), {0, current value} when held.
--
-- node takes it with SETNX, then EXPIRE, then (if held) GET + SET + EXPIRE for a stale one: a
-- crash between SETNX and EXPIRE leaves a lock without TTL, and two clients can both take over
-- the same stale lock. Here it is one script, so a lock always has its TTL and exactly one
-- client takes over a stale one. Value and staleness test are node's: value = now + timeout + 1
-- (integer seconds, node's Math.round), held while now <= parseInt(value); a value that is
-- not a number counts as stale, as NaN does in node. Time comes from the server, so clients
-- with skewed clocks agree.
-- Redis < 5 replicates whole scripts and refuses writes after TIME unless told otherwise.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1])
if tonumber(t[2]) >= 500000 then now = now + 1 end
local timeout = tonumber(ARGV[1])
local current = redis.call('GET', KEYS[1])
if current then
  local held_until = tonumber(string.match(current, '^%s*([+-]?%d+)'))
  if held_until and now <= held_until then return {0, current} end
end
local value = string.format('%d', now + timeout + 1)
redis.call('SET', KEYS[1], value, 'EX', timeout)
return {1, value}
