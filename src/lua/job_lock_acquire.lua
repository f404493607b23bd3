-- JobLock acquire: node-resque's SET key (now + timeout + 1) EX timeout NX, with the time
-- taken from the server so the value written can be returned (the holder releases only a lock
-- still holding this value).
-- KEYS[1] lock key, ARGV[1] lock timeout in seconds.
-- Returns {1, value} when taken, {0, current value or ''} when held by someone else.
-- One command does the write, so there is no crash window: the lock has its TTL from birth.
-- Redis < 5 replicates whole scripts and refuses writes after TIME unless told otherwise.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1])
if tonumber(t[2]) >= 500000 then now = now + 1 end
local timeout = tonumber(ARGV[1])
local value = string.format('%d', now + timeout + 1)
if redis.call('SET', KEYS[1], value, 'EX', timeout, 'NX') then return {1, value} end
return {0, redis.call('GET', KEYS[1]) or ''}
