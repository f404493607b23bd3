-- Clean stop: removes every key of the worker, as Ruby's unregister_worker and node's untrack.
-- KEYS[1] workers, KEYS[2] workers:heartbeat, KEYS[3] inflight:<id>, KEYS[4] resque-cpp's
-- worker index, KEYS[5..] the worker's own keys (protocol::WorkerKeys::own_keys). ARGV[1] id.
-- Refuses (returns 0) while the in-flight list holds a job: that job must stay visible to
-- dead-worker recovery, so the worker's registration stays too.
-- Distrusts: the in-flight key's type (LLEN errors on a wrong type before any write).
--- @include "teardown_worker"
--- @include "key_types"
local bad = wrong_type('worker teardown', {{KEYS[1], 'set'}, {KEYS[2], 'hash'}})
if bad then return bad end
if redis.call('LLEN', KEYS[3]) > 0 then return 0 end
teardown_worker(KEYS[1], KEYS[2], KEYS[4], ARGV[1], 5)
return 1
