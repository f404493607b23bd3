-- Lock acquire (resque::Lock): SET NX with a TTL; the value is the holder's token.
-- KEYS[1] lock key; KEYS[2..n] keys that block the lock while any of them exists.
-- ARGV[1] TTL in ms; ARGV[2] token ('' = none: ExpiryStamp locks not renewing);
-- ARGV[3] 'token' (write ARGV[2]) or 'stamp' (write node-resque's QueueLock/JobLock value);
-- ARGV[4] '1' = a stamp in the past, or a value that is not a number, is stale: take it over.
-- Returns {1, value} taken, {2, value} renewed (ARGV[2] already held it), {0, holder's value}
-- held by another, {-1, ''} blocked (and the lock given up if ARGV[2] held it).
--
-- One script, so a lock always has its TTL from birth (node's SETNX-then-EXPIRE can leave one
-- without), exactly one client takes over a stale lock, and a renewal compares the value and
-- extends it in the same instant (node's GET-then-EXPIRE can extend a lock someone else took
-- in between).
-- Stamp: node writes now + timeout + 1 (integer seconds, its Math.round of the ms clock) with
-- EX timeout, and counts a lock as held while now <= parseInt(value) (NaN: stale). Time comes
-- from the server, so clients with skewed clocks agree.
local stamp = ARGV[3] == 'stamp'
-- Redis < 5 replicates whole scripts and refuses writes after TIME unless told otherwise.
if stamp and redis.replicate_commands then redis.replicate_commands() end
local key = KEYS[1]
local token = ARGV[2]
local current = redis.call('GET', key)
local mine = current and token ~= '' and current == token
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    if mine then redis.call('DEL', key) end
    return {-1, ''}
  end
end
local ttl = tonumber(ARGV[1])
local secs = math.ceil(ttl / 1000)
local value = token
local now = 0
if stamp then
  local t = redis.call('TIME')
  now = tonumber(t[1])
  if tonumber(t[2]) >= 500000 then now = now + 1 end
  value = string.format('%d', now + secs + 1)
end
local function write()
  if stamp then
    redis.call('SET', key, value, 'EX', secs)
  else
    redis.call('SET', key, value, 'PX', ttl)
  end
end
if mine then
  write()
  return {2, value}
end
if current then
  if ARGV[4] ~= '1' then return {0, current} end
  local held_until = tonumber(string.match(current, '^%s*([+-]?%d+)'))
  if held_until and now <= held_until then return {0, current} end
end
write()
return {1, value}
