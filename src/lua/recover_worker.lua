-- Recovers one dead worker and unregisters it.
-- ARGV[1] = key prefix, ARGV[2] = worker id, ARGV[3] = worker name (id without the queues),
-- ARGV[4] = kind: "cpp" (resque-cpp: has an in-flight list), "ruby", "node",
-- ARGV[5]/ARGV[6] = "1"/"0" and the workers:heartbeat value the scheduler saw,
-- ARGV[7]/ARGV[8] = the same for worker:ping:<name>, ARGV[9]/ARGV[10] for worker:<id>,
-- ARGV[11] = max recoveries, ARGV[12] = failed_at, ARGV[13] = death counter TTL (s),
-- ARGV[14] = failure record for a foreign worker's job ("" when it was idle),
-- ARGV[15] = wake channel.
-- Returns {"changed"} when the worker beat or moved on since it was judged dead (nothing is
-- done), else {"ok", {requeued payloads}, {failed payloads}}.
--
-- Crash windows: none; the liveness re-check, the job moves and the unregistration are one
-- step. resque-cpp jobs go back to the head of their queue (at-least-once: a job may run twice
-- when its worker died after the work but before recording it); a per-payload death counter
-- sends a job that keeps killing workers to the failed list instead of looping.
local p, id, name, kind = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local function same(v, flag, seen)
  if flag == '1' then return v == seen end
  return not v
end
local status = redis.call('GET', p .. 'worker:' .. id)
if not same(redis.call('HGET', p .. 'workers:heartbeat', id), ARGV[5], ARGV[6]) or
   not same(redis.call('GET', p .. 'worker:ping:' .. name), ARGV[7], ARGV[8]) or
   not same(status, ARGV[9], ARGV[10]) then
  return {'changed'}
end

local requeued, failed, woken = {}, {}, {}
if kind == 'cpp' then
  local max = tonumber(ARGV[11])
  local q = ''
  if status then
    local ok, s = pcall(cjson.decode, status)
    if ok and type(s) == 'table' and type(s.queue) == 'string' then q = s.queue end
  end
  local items = redis.call('LRANGE', p .. 'inflight:' .. id, 0, -1)
  -- Last first, so that LPUSH leaves them at the head in their original order.
  for i = #items, 1, -1 do
    local raw = items[i]
    local ok, job = pcall(cjson.decode, raw)
    local queue = q
    if queue == '' and ok and type(job) == 'table' and type(job.queue) == 'string' then
      queue = job.queue
    end
    local counter = p .. 'resque-cpp:recovered:' .. raw
    local deaths = redis.call('INCR', counter)
    local err
    if queue == '' then
      err = 'Worker ' .. id .. ' died while performing it, and the job names no queue to put it back on'
    elseif deaths > max then
      err = 'Worker ' .. id .. ' died while performing it; workers died while performing it ' ..
        deaths .. ' times (max_recoveries ' .. max .. '), so it is not put back again'
    end
    if err then
      local payload = raw
      if not ok then payload = cjson.encode(raw) end
      -- Ruby's failure format and field order (see src/failure.hpp).
      redis.call('RPUSH', p .. 'failed', '{"failed_at":' .. cjson.encode(ARGV[12]) ..
        ',"payload":' .. payload .. ',"exception":"resque::WorkerDied","error":' ..
        cjson.encode(err) .. ',"backtrace":[],"worker":' .. cjson.encode(id) ..
        ',"queue":' .. cjson.encode(queue) .. '}')
      redis.call('INCR', p .. 'stat:failed')
      redis.call('DEL', counter)
      failed[#failed + 1] = raw
    else
      redis.call('EXPIRE', counter, ARGV[13])
      redis.call('SADD', p .. 'queues', queue)
      redis.call('LPUSH', p .. 'queue:' .. queue, raw)
      woken[queue] = true
      requeued[#requeued + 1] = raw
    end
  end
elseif ARGV[14] ~= '' then
  -- A Ruby or node worker's job: failed, as Ruby's prune_dead_workers and node's
  -- forceCleanWorker record it (node also counts it in stat:failed; Ruby does not).
  redis.call('RPUSH', p .. 'failed', ARGV[14])
  if kind == 'node' then redis.call('INCR', p .. 'stat:failed') end
  failed[1] = status
end

-- Every key of the worker, whichever library registered it.
redis.call('SREM', p .. 'workers', id)
redis.call('DEL', p .. 'worker:' .. id, p .. 'worker:' .. id .. ':started', p .. 'inflight:' .. id,
  p .. 'stat:processed:' .. id, p .. 'stat:failed:' .. id)
redis.call('HDEL', p .. 'workers:heartbeat', id)
if kind ~= 'ruby' then redis.call('DEL', p .. 'worker:ping:' .. name) end
if kind == 'node' then
  redis.call('DEL', p .. 'stat:processed:' .. name, p .. 'stat:failed:' .. name)
end
for q in pairs(woken) do redis.call('PUBLISH', ARGV[15], q) end
return {'ok', requeued, failed}
