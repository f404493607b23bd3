-- Unregisters a worker and deletes all its keys; its in-flight job (if any) goes to `failed`.
-- KEYS[1] = workers, KEYS[2] = worker:<id>, KEYS[3] = worker:<id>:started,
-- KEYS[4] = inflight:<id>, KEYS[5] = stat:processed:<id>, KEYS[6] = stat:failed:<id>,
-- KEYS[7] = workers:heartbeat, KEYS[8] = worker:ping:<name>, KEYS[9] = failed,
-- KEYS[10] = stat:processed:<name>, KEYS[11] = stat:failed:<name> (node's per-worker stats)
-- ARGV[1] = id, ARGV[2] = "1" if the caller saw a status, ARGV[3] = that status,
-- ARGV[4] = "1" if it saw an in-flight entry, ARGV[5] = that entry,
-- ARGV[6] = the failure record built from them ("" when the worker was idle)
-- The caller builds the failure record in C++ (exact JSON encoding); it is written only if the
-- status and in-flight entry are still what it saw, else 0 is returned and it reads again.
-- Returns 1 when done.
-- Atomic: the failure record and the removal of every key of the worker happen together, so a
-- crash can neither lose the in-flight job nor record it twice.
local function same(value, present, expected)
  if present == '1' then
    return value == expected
  end
  return not value
end
if not same(redis.call('GET', KEYS[2]), ARGV[2], ARGV[3]) or
   not same(redis.call('LINDEX', KEYS[4], 0), ARGV[4], ARGV[5]) then
  return 0
end
if ARGV[6] ~= '' then
  redis.call('RPUSH', KEYS[9], ARGV[6])
end
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[8], KEYS[10], KEYS[11])
redis.call('HDEL', KEYS[7], ARGV[1])
return 1
