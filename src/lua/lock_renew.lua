-- Lock renew (resque::Lock): extends the lease only while the token still holds it.
-- KEYS[1] lock key; ARGV[1] token; ARGV[2] TTL in ms; ARGV[3] the value kind, as in
-- lock_acquire.lua (a stamp lock gets a new stamp, since the stamp says when it ends; a
-- 'true' lock has no lease to extend and is only checked).
-- Returns {1, value now held} or {0, ''} when the token does not hold the lock.
-- Compare and extend in one script: a lock that expired and was taken by another holder is
-- never extended by the old one. GET is the first command, so a key of another type fails
-- the script before any write.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, ''} end
local kind = ARGV[3]
local ttl = tonumber(ARGV[2])
if kind == 'token' then
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, ARGV[1]}
end
if kind == 'true' then return {1, ARGV[1]} end
-- Redis < 5 replicates whole scripts and refuses writes after TIME unless told otherwise.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1])
local secs = math.ceil(ttl / 1000)
local value, ex
if kind == 'stamp' then
  -- node rounds its ms clock
  if tonumber(t[2]) >= 500000 then now = now + 1 end
  value, ex = now + secs + 1, secs
elseif kind == 'lt_stamp' then
  value, ex = now + secs, secs + 1  -- resque-lock-timeout's refresh_lock!: now + timeout
else
  value, ex = now + secs + 1, secs + 2  -- resque-lock's now + timeout + 1
end
value = string.format('%d', value)
redis.call('SET', KEYS[1], value, 'EX', ex)
return {1, value}
