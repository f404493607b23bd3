-- Semaphore acquire (resque::Semaphore, ConcurrencyLimit's slots): one slot of a counting
-- semaphore kept in a sorted set.
-- KEYS[1] slot set, ARGV[1] limit, ARGV[2] slot TTL in ms, ARGV[3] holder token.
-- Members are holder tokens, scores their expiry (server time, ms). Returns 1 when the slot is
-- taken (or the token already holds one, which is renewed), 0 when every slot is taken.
--
-- Crash safety: expired members are dropped before counting, so a holder that died frees its
-- slot TTL ms after it took it; the set itself expires with its longest-lived member, so an
-- abandoned key does not stay. Everything is one script: no two clients can take the last slot.
-- Redis < 5 replicates whole scripts and refuses writes after TIME unless told otherwise.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
