-- Lock acquire (resque::Lock): SET NX with a TTL; the value is the holder's token.
-- KEYS[1] lock key; KEYS[2..n] keys that block the lock while any of them is held.
-- ARGV[1] TTL in ms; ARGV[2] token ('' = none: stamp locks not renewing);
-- ARGV[3] the value kind (LockValue): 'token' (write ARGV[2]), 'stamp' (node-resque's
-- QueueLock/JobLock value), 'lt_stamp' (resque-lock-timeout's), 'rl_stamp' (defunkt
-- resque-lock's) or 'true' (resque-lock-timeout without a lock timeout);
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
-- Ruby stamps (lock_timeout.rb's acquire_lock_algorithm!, lock.rb's before_enqueue_lock): Ruby
-- writes Time.now.to_i + timeout (resque-lock-timeout) or + timeout + 1 (resque-lock) with
-- SETNX and no TTL; a lock whose value.to_i < now is stale and taken over by GETSET, the
-- GETSET's old value deciding (old.to_i < now: ours). Here GET, compare and SET are one step,
-- so the GETSET check always agrees with the GET. We add a TTL that ends one second after the
-- moment Ruby would take the lock over (value + 1 - floor(now) seconds), so the TTL never
-- frees a lock Ruby still honours. 'true': SETNX "true", no TTL, never stale (Ruby's rule for
-- lock_timeout 0). Ruby's `inspect_lock` (the loner check of the run lock) counts a stamp as
-- held while value.to_i > now, a 'true' lock while it exists: that is how KEYS[2..] are read
-- for Ruby kinds.
--
-- Crash windows: none inside the script (Redis runs it whole); every check (types, values,
-- blockers) is made before the only write, so an error leaves nothing behind.
--- @include "key_types"
local kind = ARGV[3]
local stamp = kind == 'stamp' or kind == 'lt_stamp' or kind == 'rl_stamp'
local ruby = kind == 'lt_stamp' or kind == 'rl_stamp' or kind == 'true'
-- Redis < 5 replicates whole scripts and refuses writes after TIME unless told otherwise.
if stamp and redis.replicate_commands then redis.replicate_commands() end
local key = KEYS[1]
local token = ARGV[2]
-- Only string locks are read; Ruby kinds also GET their blockers.
local wanted = {{key, 'string'}}
if ruby then
  for i = 2, #KEYS do wanted[#wanted + 1] = {KEYS[i], 'string'} end
end
local bad = wrong_type('lock', wanted)
if bad then return bad end

-- Ruby's String#to_i: leading whitespace, a sign, digits with single '_' between them;
-- anything else counts as 0 ("true".to_i == 0, so a 'true' lock is stale to a timeout lock).
local function ruby_to_i(s)
  if not s then return 0 end
  local sign, digits = string.match(s, '^%s*([+-]?)(%d+)')
  if not digits then return 0 end
  local rest = string.sub(s, #string.match(s, '^%s*[+-]?%d+') + 1)
  while true do
    local more = string.match(rest, '^_(%d+)')
    if not more then break end
    digits = digits .. more
    rest = string.sub(rest, #more + 2)
  end
  local n = tonumber(digits)
  if sign == '-' then n = -n end
  return n
end

local now = 0
if stamp then
  local t = redis.call('TIME')
  now = tonumber(t[1])
  -- node rounds its ms clock; Ruby's Time#to_i floors.
  if kind == 'stamp' and tonumber(t[2]) >= 500000 then now = now + 1 end
end

local current = redis.call('GET', key)
local mine = current and token ~= '' and current == token
for i = 2, #KEYS do
  local held
  if kind == 'lt_stamp' or kind == 'rl_stamp' then
    held = ruby_to_i(redis.call('GET', KEYS[i])) > now
  else
    held = redis.call('EXISTS', KEYS[i]) == 1
  end
  if held then
    if mine then redis.call('DEL', key) end
    return {-1, ''}
  end
end
local ttl = tonumber(ARGV[1])
local secs = math.ceil(ttl / 1000)
local value = token
local ex = secs
if kind == 'stamp' then
  value = string.format('%d', now + secs + 1)
elseif kind == 'lt_stamp' then
  value = string.format('%d', now + secs)
  ex = secs + 1
elseif kind == 'rl_stamp' then
  value = string.format('%d', now + secs + 1)
  ex = secs + 2
elseif kind == 'true' then
  value = 'true'
end
local function write()
  if kind == 'true' then
    redis.call('SET', key, value)
  elseif stamp then
    redis.call('SET', key, value, 'EX', ex)
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
  if ruby then
    if ruby_to_i(current) >= now then return {0, current} end
  else
    local held_until = tonumber(string.match(current, '^%s*([+-]?%d+)'))
    if held_until and now <= held_until then return {0, current} end
  end
end
write()
return {1, value}
