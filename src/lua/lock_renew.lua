-- Lock renew (resque::Lock): extends the lease only while the token still holds it.
-- KEYS[1] lock key; ARGV[1] token; ARGV[2] TTL in ms; ARGV[3] 'token' or 'stamp' (see
-- lock_acquire.lua: a stamp lock gets a new stamp, since the stamp says when it ends).
-- Returns {1, value now held} or {0, ''} when the token does not hold the lock.
-- Compare and extend in one script: a lock that expired and was taken by another holder is
-- never extended by the old one.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, ''} end
local ttl = tonumber(ARGV[2])
if ARGV[3] ~= 'stamp' then
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, ARGV[1]}
end
-- Redis < 5 replicates whole scripts and refuses writes after TIME unless told otherwise.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1])
if tonumber(t[2]) >= 500000 then now = now + 1 end
local secs = math.ceil(ttl / 1000)
local value = string.format('%d', now + secs + 1)
redis.call('SET', KEYS[1], value, 'EX', secs)
return {1, value}
