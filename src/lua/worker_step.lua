-- One worker step: finish the previous job (if any) and take the next one, in one round trip.
-- ARGV[1] key prefix ("resque:"), ARGV[2] worker id,
-- ARGV[3] finish mode: "" (nothing to finish), "ok", "fail", "skip" (vetoed/re-enqueued by a
--         plugin: no stats, as node counts nothing), ARGV[4] the finished job's raw payload,
-- ARGV[5] failure record JSON (mode "fail"), ARGV[6] "1" to take a job, "0" to only finish,
-- ARGV[7] run_at for the status, ARGV[8..] queues in priority order.
-- Returns nil (nothing to do), {"paused"} (pause-all-workers is "true"), or {queue, payload}.
--
-- Crash windows: the whole step is one script, so Redis applies all of it or none of it.
-- * A taken job is in inflight:<id> and worker:<id> in the same instant it leaves its queue:
--   a client crash after this point leaves it in flight, where dead-worker recovery finds it.
-- * Finishing is guarded by "the in-flight head is the finished job": if the client lost the
--   reply of a step that did run (connection broke), re-sending the same step finishes nothing
--   twice and hands back the job that step took, so nothing runs twice or is lost.
local p, id, mode = ARGV[1], ARGV[2], ARGV[3]
local inflight = p .. 'inflight:' .. id
local status = p .. 'worker:' .. id
local finished = false
-- Index '0' is a string on purpose: a Lua number argument is turned into text with printf's
-- %.17g on every call (about 3 % of the step's server-side instructions in callgrind).

if mode ~= '' and redis.call('LINDEX', inflight, '0') == ARGV[4] then
  finished = true
  if mode ~= 'skip' then
    redis.call('INCR', p .. 'stat:processed')
    redis.call('INCR', p .. 'stat:processed:' .. id)
  end
  if mode == 'fail' then
    redis.call('RPUSH', p .. 'failed', ARGV[5])
    redis.call('INCR', p .. 'stat:failed')
    redis.call('INCR', p .. 'stat:failed:' .. id)
  end
  redis.call('DEL', inflight, status)
end

if ARGV[6] ~= '1' then return nil end

-- A job already in flight for this id (a step whose reply was lost, or a previous process with
-- the same id) is handed back first.
-- (Not looked up when this step just finished a job: the DEL above emptied the list.)
local held = not finished and redis.call('LINDEX', inflight, '0')
if held then
  local q = ''
  local s = redis.call('GET', status)
  if s then
    local ok, decoded = pcall(cjson.decode, s)
    if ok and type(decoded) == 'table' and type(decoded.queue) == 'string' then q = decoded.queue end
  end
  return {q, held}
end

local pause = redis.call('GET', p .. 'pause-all-workers')
if pause and string.lower(string.match(pause, '^%s*(.-)%s*$')) == 'true' then
  return {'paused'}
end

for i = 8, #ARGV do
  local q = ARGV[i]
  local job = redis.call('LPOP', p .. 'queue:' .. q)
  if job then
    redis.call('RPUSH', inflight, job)
    -- The status embeds the payload object as stored; a payload that is not JSON is embedded
    -- as a string so worker:<id> stays valid JSON (resque-web fails on anything else).
    local payload = job
    if not pcall(cjson.decode, job) then payload = cjson.encode(job) end
    redis.call('SET', status, '{"queue":' .. cjson.encode(q) .. ',"run_at":"' .. ARGV[7] ..
      '","payload":' .. payload .. '}')
    return {q, job}
  end
end
return nil
