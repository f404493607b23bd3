-- Registers a worker as Ruby and node both see it.
-- KEYS[1] workers, KEYS[2] worker:<id>:started, KEYS[3] workers:heartbeat,
-- KEYS[4] worker:ping:<name>, KEYS[5] resque-cpp's index of its workers (Keys::cpp_workers:
-- the Scheduler's dead-worker check reads it instead of scanning the keyspace); ARGV[1] id, ARGV[2] started, ARGV[3] heartbeat, ARGV[4] ping
-- (all encoded by protocol::registration).
-- One script so a worker is never half-registered (e.g. in `workers` without a heartbeat,
-- which a starting Ruby worker would prune).
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('SET', KEYS[4], ARGV[4])
-- pcall: the index is only a shortcut (the Scheduler's rare full scan finds what it misses).
redis.pcall('SADD', KEYS[5], ARGV[1])
return 1
