-- One worker step: finish the previous job (if any) and take the next one, in one round trip.
-- KEYS[1] inflight:<id>, KEYS[2] worker:<id>, KEYS[3] stat:processed, KEYS[4]
-- stat:processed:<id>, KEYS[5] stat:failed, KEYS[6] stat:failed:<id>, KEYS[7] failed,
-- KEYS[8] pause-all-workers, KEYS[9] the finished job's death counter, KEYS[10]
-- worker:<id>:started, KEYS[11] the in-flight job's queue (Keys::inflight_queue), KEYS[12..]
-- the queues in priority order.
-- ARGV[1] finish mode: "" (nothing to finish), "ok", "fail", "skip" (vetoed/re-enqueued by a
--         plugin: no stats, as node counts nothing), "retry" (failed, re-enqueued by Retry:
--         stat:failed +1 and processed unchanged, node's net effect),
-- ARGV[2] the finished job's status tail (protocol::status_tail: it ends in the job's token),
-- ARGV[3] the SHA-1 (hex) of its raw payload (not the payload: a 1 MB job would be sent back
-- whole at every finish; the rare finish without a status checks the in-flight copy's digest),
-- ARGV[4] its failure record (mode "fail"), ARGV[5] "1" to take a
-- job, "0" to only finish, ARGV[6..8] the new status's head, middle and tail
-- (protocol::status_pieces), ARGV[9] the token of the job taken now (unique per step),
-- ARGV[10] the worker's id, ARGV[11] its name as node writes it, ARGV[12] the value of
-- worker:<id>:started (written back after a peer's prune), ARGV[13..] the queue names (same
-- order as KEYS[12..]).
-- Returns nil (nothing to do), {"paused"} (pause-all-workers is "true"), or
-- {queue, payload, token} for a job already in flight, {queue, payload, token, more} for a job
-- taken now (more = 1 when its queue still holds jobs).
--
-- The status record is built in C++ (protocol/worker.hpp); only here are the queue and the
-- payload known, so the script puts them between the pieces it is given.
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
-- * Pruners reconcile: a peer that unregistered this worker mid-job (Ruby's pruners, node's
--   forceCleanWorker) wrote the job into `failed`; the finish removes that entry (includes/
--   peer_failures.lua), so a job that completed is not also failed (and a retry of the entry
--   does not run it again). Detected by worker:<id>:started being gone (every peer deletes it;
--   our heartbeat does not write it back), which the finish then restores: an ordinary step
--   pays one EXISTS.
-- * The taken job's queue is kept beside the in-flight copy (KEYS[11]), set by the same step
--   that pushes the job to inflight:<id> and deleted by the same step that empties it, so no
--   crash separates them: whenever the list holds the job, KEYS[11] names its queue. Recovery
--   reads it when a peer's pruner deleted worker:<id> (the other place the queue is written) and
--   a Ruby-dialect payload names no queue, so a multi-queue worker's job goes back where it was.
-- * A finished job's recovery counter is dropped, so deaths of earlier copies of the same
--   payload do not add up.
-- Distrusts: the stat counters (anyone can SET them to garbage: INCR runs through pcall, so a
-- garbage counter is not counted instead of stopping every worker), the failed list's type
-- (checked before the first write), the status's content (decoded under pcall), the pause
-- key's and the kept queue's types. inflight:<id> is read (LINDEX) before a job is pushed to it unless the finish
-- just deleted it, so a wrong type errors before the LPOP, never after.
--- @include "peer_failures"
local mode = ARGV[1]

local function status_json(q, payload, token_tail)
  -- A payload that is not an object is embedded as a string so worker:<id> stays valid JSON
  -- (resque-web fails on anything else); protocol::encode_status applies the same rule. Only
  -- the braces are checked (a full cjson.decode was a tenth of the step's cost).
  if string.byte(payload, 1) ~= 123 or string.byte(payload, -1) ~= 125 then
    payload = cjson.encode(payload)
  end
  return ARGV[6] .. cjson.encode(q) .. ARGV[7] .. payload .. token_tail
end

local finished = false
if mode ~= '' then
  local s = redis.call('GET', KEYS[2])
  local tail = ARGV[2]
  local function held_is_finished()
    local h = redis.call('LINDEX', KEYS[1], '0')
    return h and redis.sha1hex(h) == ARGV[3]
  end
  if (s and string.sub(s, -#tail) == tail) or (not s and held_is_finished()) then
    if mode == 'fail' then
      local t = redis.call('TYPE', KEYS[7])['ok']
      if t ~= 'none' and t ~= 'list' then
        return redis.error_reply('worker step: ' .. KEYS[7] .. ' is a ' .. t .. ', not a list')
      end
    end
    if redis.call('EXISTS', KEYS[10]) == 0 then
      -- node counted its entry in stat:failed; the job did not fail that way.
      -- (Before our own record is written, so only the peer's entries are looked at.)
      -- The finished job's bytes: its in-flight copy (taken with its status, deleted with it).
      local payload = redis.call('LINDEX', KEYS[1], '0')
      if payload then
        for _ = 1, remove_peer_failures(KEYS[7], ARGV[10], ARGV[11], payload) do
          redis.pcall('DECR', KEYS[5])
        end
      end
      redis.call('SET', KEYS[10], ARGV[12])
    end
    if mode == 'ok' or mode == 'fail' then
      redis.pcall('INCR', KEYS[3])
      redis.pcall('INCR', KEYS[4])
    end
    if mode == 'fail' then
      redis.call('RPUSH', KEYS[7], ARGV[4])
    end
    if mode == 'fail' or mode == 'retry' then
      redis.pcall('INCR', KEYS[5])
      redis.pcall('INCR', KEYS[6])
    end
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[9], KEYS[11])
    finished = true
  end
end

if ARGV[5] ~= '1' then return nil end

-- A job already in flight for this id (a step whose reply was lost, or a previous process with
-- the same id) is handed back first, with its token (a new one if its status has none).
-- (Just finished: the DEL above emptied the list, so there is nothing to look up.)
local held = (not finished) and redis.call('LINDEX', KEYS[1], '0')
if held then
  local q, token = '', nil
  local s = redis.call('GET', KEYS[2])
  if s then
    local ok, decoded = pcall(cjson.decode, s)
    if ok and type(decoded) == 'table' then
      if type(decoded.queue) == 'string' then q = decoded.queue end
      if type(decoded.token) == 'string' then token = decoded.token end
    end
  end
  if q == '' then
    -- A peer deleted the status: the queue kept beside the copy (pcall: anyone may write it).
    local kept = redis.pcall('GET', KEYS[11])
    if type(kept) == 'string' then q = kept end
  end
  if not token then
    token = ARGV[9]
    redis.call('SET', KEYS[2], status_json(q, held, ARGV[8]))
  end
  return {q, held, token}
end

-- pcall: a pause key of another type (anyone may write it) must not stop every worker.
local pause = redis.pcall('GET', KEYS[8])
if type(pause) == 'string' and string.lower(string.match(pause, '^%s*(.-)%s*$')) == 'true' then
  return {'paused'}
end

-- A long payload is appended to the status in place: concatenating it in Lua would make, and
-- hash (Lua hashes every byte of a string it makes), another copy of it (~1 ms a MB).
local function set_status(q, job)
  if #job >= 65536 and string.byte(job, 1) == 123 and string.byte(job, -1) == 125 then
    redis.call('SET', KEYS[2], ARGV[6] .. cjson.encode(q) .. ARGV[7])
    redis.call('APPEND', KEYS[2], job)
    redis.call('APPEND', KEYS[2], ARGV[8])
  else
    redis.call('SET', KEYS[2], status_json(q, job, ARGV[8]))
  end
end

local function took(key, q, job)
  redis.call('RPUSH', KEYS[1], job)
  redis.call('SET', KEYS[11], q)
  set_status(q, job)
  -- "more": the queue still holds jobs, so a worker woken for this one wakes the next.
  return {q, job, ARGV[9], redis.call('LLEN', key) > 0 and 1 or 0}
end

-- Many queues: one LMPOP (Redis >= 7) finds the first non-empty one in C instead of one Lua
-- LPOP call per queue (a worker on "*" with 1,000 queues paid ~0.4 ms of Redis per step). Its
-- reply names the key; every queue key is prefix .. name, so the name is the key's tail.
-- (unpack is bounded by Lua's C stack: beyond a few thousand queues, the loop below.)
local nq = #KEYS - 11
if nq > 1 and nq < 7000 and (redis.REDIS_VERSION_NUM or 0) >= 0x070000 then
  local args = {'LMPOP', nq}
  for i = 12, #KEYS do args[#args + 1] = KEYS[i] end
  args[#args + 1] = 'LEFT'
  local r = redis.call(unpack(args))
  if not r then return nil end
  return took(r[1], string.sub(r[1], #KEYS[12] - #ARGV[13] + 1), r[2][1])
end
for i = 12, #KEYS do
  local job = redis.call('LPOP', KEYS[i])
  if job then return took(KEYS[i], ARGV[i + 1], job) end
end
return nil
