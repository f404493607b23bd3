-- The one teardown of a worker, shared by worker_unregister, force_clean_worker and
-- recover_worker: removes the id from the shared `workers` set and `workers:heartbeat` hash and
-- from resque-cpp's index of its workers (Keys::cpp_workers) and deletes every key the worker
-- owns. The owned keys are KEYS[first..#KEYS], listed by C++
-- (protocol::WorkerKeys::own_keys), so no script builds a worker's key names.
-- Callers check first (key_types' wrong_type) that `workers` is a set and `heartbeats` a hash:
-- SREM/HDEL on a key of another type would fail after the caller's other writes.
-- The index is ours alone, but a wrong type there must not stop a teardown midway (pcall).
local function teardown_worker(workers_key, heartbeats_key, index_key, id, first)
  redis.call('SREM', workers_key, id)
  redis.pcall('SREM', index_key, id)
  redis.call('HDEL', heartbeats_key, id)
  local own = {}
  for i = first, #KEYS do own[#own + 1] = KEYS[i] end
  if #own > 0 then redis.call('DEL', unpack(own)) end
end
