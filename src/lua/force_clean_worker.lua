-- Unregisters a worker and deletes all its keys; its in-flight job (if any) goes to `failed`.
-- KEYS[1] workers, KEYS[2] workers:heartbeat, KEYS[3] worker:<id>, KEYS[4] inflight:<id>,
-- KEYS[5] failed, KEYS[6] resque-cpp's worker index, KEYS[7..] the worker's own keys (protocol::WorkerKeys::own_keys).
-- ARGV[1] = id, ARGV[2] = "1" if the caller saw a status, ARGV[3] = that status,
-- ARGV[4] = "1" if it saw an in-flight entry, ARGV[5] = that entry,
-- ARGV[6] = the failure record built from them in C++ ("" when the worker was idle).
-- The record is written only if the status and in-flight entry are still what the caller saw,
-- else 0 is returned and it reads again. Returns 1 when done.
-- Atomic: the failure record and the removal of every key of the worker happen together, so a
-- crash can neither lose the in-flight job nor record it twice.
-- Distrusts: the types of worker:<id> and inflight:<id> (GET/LINDEX error before any write).
--- @include "teardown_worker"
--- @include "key_types"
local function same(value, present, expected)
  if present == '1' then
    return value == expected
  end
  return not value
end
if not same(redis.call('GET', KEYS[3]), ARGV[2], ARGV[3]) or
   not same(redis.call('LINDEX', KEYS[4], 0), ARGV[4], ARGV[5]) then
  return 0
end
local bad = wrong_type('worker teardown', {{KEYS[1], 'set'}, {KEYS[2], 'hash'}})
if bad then return bad end
if ARGV[6] ~= '' then
  redis.call('RPUSH', KEYS[5], ARGV[6])
end
teardown_worker(KEYS[1], KEYS[2], KEYS[6], ARGV[1], 7)
return 1
