-- Semaphore renew (resque::Semaphore): extends the holder's slot, only while it holds one.
-- KEYS[1] slot set, ARGV[1] slot TTL in ms, ARGV[2] holder token. Returns 1 if renewed, 0 if
-- the token holds no live slot (released, or expired: an expired slot may already be counted
-- as free by an acquire, so it is not revived).
-- Redis < 5 replicates whole scripts and refuses writes after TIME unless told otherwise.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not score or tonumber(score) <= now then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
