-- Scheduler leadership on node-resque's lock, respecting a Ruby resque-scheduler master.
-- KEYS[1] = <ns>:resque_scheduler_leader_lock, KEYS[2] = <ns>:<ns>:resque_scheduler_master_lock
-- ARGV[1] = this scheduler's name, ARGV[2] = TTL in seconds, ARGV[3] = "acquire" or "release"
-- acquire returns 1 (taken), 2 (renewed: we held it), 0 (another holder), -1 (a Ruby master
-- holds its lock: we do not lead, and give up our lock if we held it).
-- release returns 1 if our lock was deleted, 0 if it was not ours (it only reads KEYS[1], so it
-- also releases other name-valued locks, e.g. Ruby's pruning_dead_workers_in_progress).
-- One script, so renewal and release compare the value and act on it in the same instant:
-- node's GET-then-EXPIRE / GET-then-DEL can extend or delete a lock another scheduler took in
-- between; this cannot.
local mine = redis.call('GET', KEYS[1]) == ARGV[1]
if ARGV[3] == 'release' then
  if mine then
    redis.call('DEL', KEYS[1])
    return 1
  end
  return 0
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if mine then redis.call('DEL', KEYS[1]) end
  return -1
end
if mine then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return 2
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
return 0
