-- The one teardown of a worker, shared by worker_unregister, force_clean_worker and
-- recover_worker: removes the id from the shared `workers` set and `workers:heartbeat` hash and
-- deletes every key the worker owns. The owned keys are KEYS[first..#KEYS], listed by C++
-- (protocol::WorkerKeys::own_keys), so no script builds a worker's key names.
-- teardown_check runs before the caller's first write: SREM/HDEL on a key of the wrong type
-- would fail after the caller's other writes. Returns an error reply, or nil when all is well.
local function teardown_check(workers_key, heartbeats_key)
  for _, k in ipairs({{workers_key, 'set'}, {heartbeats_key, 'hash'}}) do
    local t = redis.call('TYPE', k[1])['ok']
    if t ~= 'none' and t ~= k[2] then
      return redis.error_reply('worker teardown: ' .. k[1] .. ' is a ' .. t .. ', not a ' .. k[2])
    end
  end
  return nil
end
local function teardown_worker(workers_key, heartbeats_key, id, first)
  redis.call('SREM', workers_key, id)
  redis.call('HDEL', heartbeats_key, id)
  local own = {}
  for i = first, #KEYS do own[#own + 1] = KEYS[i] end
  if #own > 0 then redis.call('DEL', unpack(own)) end
end
