-- One worker step: finish the previous job (if any) and take the next one, in one round trip.
-- ARGV[1] key prefix ("resque:"), ARGV[2] worker id, ARGV[3] worker name (id without queues),
-- ARGV[4] finish mode: "" (nothing to finish), "ok", "fail", "skip" (vetoed/re-enqueued by a
--         plugin: no stats, as node counts nothing), "retry" (failed, re-enqueued by Retry:
--         stat:failed +1 and processed unchanged, node's net effect),
-- ARGV[5] the finished job's token, ARGV[6] its raw payload, ARGV[7] failure record JSON
-- (mode "fail"), ARGV[8] "1" to take a job, "0" to only finish, ARGV[9] run_at for the
-- status, ARGV[10] token for the job taken now (unique per step), ARGV[11..] queues in
-- priority order.
-- Returns nil (nothing to do), {"paused"} (pause-all-workers is "true"), or
-- {queue, payload, token}.
--
-- The status is Ruby's {"queue","run_at","payload"} plus node's "worker" (node's allWorkingOn
-- files a status under it) and our "token", always last.
--
-- Crash windows: the whole step is one script, so Redis applies all of it or none of it.
-- * A taken job is in inflight:<id> and worker:<id> in the same instant it leaves its queue:
--   a client crash after this point leaves it in flight, where dead-worker recovery finds it.
-- * Finishing is guarded by the job's token in worker:<id>: if the client lost the reply of a
--   step that did run (connection broke), re-sending the same step finishes nothing twice (the
--   status now holds the next job's token, even when that job has the same bytes) and hands
--   back the job that step took, so nothing runs twice or is lost.
-- * If another library removed worker:<id> mid-job (Ruby's pruner unregisters workers it
--   believes dead), the finish is matched by the in-flight payload instead, so the job is not
--   handed back and run again.
-- * A finished job's recovery counter (dead-worker recovery, resque-cpp:recovered:<payload>)
--   is dropped, so deaths of earlier copies of the same payload do not add up.
local p, id, name, mode = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local inflight = p .. 'inflight:' .. id
local status = p .. 'worker:' .. id

local function status_json(q, payload, token)
  -- The payload object is embedded as stored; one that is not an object is embedded as a string
  -- so worker:<id> stays valid JSON (resque-web fails on anything else). Only the braces are
  -- checked (a full cjson.decode was a tenth of the step's cost): the worker decodes every
  -- payload at once, and one that is broken inside fails, its finish deleting this status.
  if string.byte(payload, 1) ~= 123 or string.byte(payload, -1) ~= 125 then
    payload = cjson.encode(payload)
  end
  return '{"queue":' .. cjson.encode(q) .. ',"run_at":"' .. ARGV[9] .. '","payload":' .. payload ..
    ',"worker":' .. cjson.encode(name) .. ',"token":"' .. token .. '"}'
end

local finished = false
if mode ~= '' then
  local s = redis.call('GET', status)
  local suffix = '"token":"' .. ARGV[5] .. '"}'
  if (s and string.sub(s, -#suffix) == suffix) or
     (not s and redis.call('LINDEX', inflight, '0') == ARGV[6]) then
    if mode == 'ok' or mode == 'fail' then
      redis.call('INCR', p .. 'stat:processed')
      redis.call('INCR', p .. 'stat:processed:' .. id)
    end
    if mode == 'fail' then
      redis.call('RPUSH', p .. 'failed', ARGV[7])
    end
    if mode == 'fail' or mode == 'retry' then
      redis.call('INCR', p .. 'stat:failed')
      redis.call('INCR', p .. 'stat:failed:' .. id)
    end
    redis.call('DEL', inflight, status, p .. 'resque-cpp:recovered:' .. ARGV[6])
    finished = true
  end
end

if ARGV[8] ~= '1' then return nil end

-- A job already in flight for this id (a step whose reply was lost, or a previous process with
-- the same id) is handed back first, with its token (a new one if its status has none).
-- (Just finished: the DEL above emptied the list, so there is nothing to look up.)
local held = (not finished) and redis.call('LINDEX', inflight, '0')
if held then
  local q, token = '', nil
  local s = redis.call('GET', status)
  if s then
    local ok, decoded = pcall(cjson.decode, s)
    if ok and type(decoded) == 'table' then
      if type(decoded.queue) == 'string' then q = decoded.queue end
      if type(decoded.token) == 'string' then token = decoded.token end
    end
  end
  if not token then
    token = ARGV[10]
    redis.call('SET', status, status_json(q, held, token))
  end
  return {q, held, token}
end

local pause = redis.call('GET', p .. 'pause-all-workers')
if pause and string.lower(string.match(pause, '^%s*(.-)%s*$')) == 'true' then
  return {'paused'}
end

for i = 11, #ARGV do
  local q = ARGV[i]
  local job = redis.call('LPOP', p .. 'queue:' .. q)
  if job then
    redis.call('RPUSH', inflight, job)
    redis.call('SET', status, status_json(q, job, ARGV[10]))
    return {q, job, ARGV[10]}
  end
end
return nil
