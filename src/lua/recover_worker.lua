-- Recovers one dead worker and unregisters it.
-- KEYS[1] workers, KEYS[2] workers:heartbeat, KEYS[3] worker:<id>, KEYS[4] worker:ping:<name>,
-- KEYS[5] inflight:<id>, KEYS[6] failed, KEYS[7] stat:failed, KEYS[8] queues (the set),
-- KEYS[9] resque-cpp's worker index;
-- then per in-flight job i (1..n): KEYS[9+2i-1] its queue, KEYS[9+2i] its death counter;
-- then KEYS[10+2n..] the worker's own keys (protocol::WorkerKeys::own_keys).
-- ARGV[1] id, ARGV[2]/ARGV[3] "1"/"0" and the workers:heartbeat value the scheduler saw,
-- ARGV[4]/ARGV[5] the same for worker:ping:<name>, ARGV[6]/ARGV[7] for worker:<id>,
-- ARGV[8] kind: "cpp" (resque-cpp: has an in-flight list), "ruby", "node",
-- ARGV[9] max recoveries, ARGV[10] death counter TTL (s), ARGV[11] failure record of a foreign
-- worker's job ("" when it was idle), ARGV[12] wake channel, ARGV[13] n (the in-flight jobs the
-- scheduler read, in list order); per job i: ARGV[13+3i-2] its bytes, ARGV[13+3i-1] its queue
-- ("" when none is known), ARGV[13+3i] the failure record written if it is not put back;
-- then ARGV[14+3n] the worker's name.
-- Every record and key comes from C++ (protocol/); the in-flight list's keys are passed in, so
-- the list is checked unchanged before anything is written.
-- Returns {"changed"} when the worker beat, moved on or its in-flight list changed since it was
-- judged dead (nothing is done), else {"ok", {requeued payloads}, {failed payloads}}.
--
-- Crash windows: none; the liveness re-check, the job moves and the unregistration are one
-- step. resque-cpp jobs go back to the head of their queue (at-least-once: a job may run twice
-- when its worker died after the work but before recording it); a per-payload death counter
-- sends a job that keeps killing workers to the failed list instead of looping.
-- Pruners reconcile: when a peer unregistered this worker first (Ruby's heartbeat pruner wrote
-- Resque::PruneDeadWorkerDirtyExit, node's forceCleanWorker "Worker Timeout (killed manually)",
-- both leaving our in-flight list), the job is requeued here as always and the peer's failure
-- entry for it is removed in the same step (includes/peer_failures.lua). The job never
-- finished, so requeueing keeps "nothing lost" (and runs it once more, as for any dead worker);
-- leaving only the peer's entry instead would need someone to retry it by hand. Detected by
-- worker:<id>:started being gone (own key 2; only a peer deletes it while we are registered).
-- Distrusts: every value it reads (compared with what the scheduler saw, before any write),
-- and the types of the keys it reads (GET/HGET/LRANGE error before any write).
--- @include "teardown_worker"
--- @include "key_types"
--- @include "peer_failures"
local id, kind = ARGV[1], ARGV[8]
local function same(v, flag, seen)
  if flag == '1' then return v == seen end
  return not v
end
if not same(redis.call('HGET', KEYS[2], id), ARGV[2], ARGV[3]) or
   not same(redis.call('GET', KEYS[4]), ARGV[4], ARGV[5]) or
   not same(redis.call('GET', KEYS[3]), ARGV[6], ARGV[7]) then
  return {'changed'}
end
local n = tonumber(ARGV[13])
if kind == 'cpp' then
  local items = redis.call('LRANGE', KEYS[5], 0, -1)
  if #items ~= n then return {'changed'} end
  for i = 1, n do
    if items[i] ~= ARGV[13 + 3 * i - 2] then return {'changed'} end
  end
end

-- Before the first write: the lists it pushes to must be lists; a garbage stat:failed is
-- left alone (not counted) rather than failing the recovery; a garbage death counter counts
-- from zero again.
local bad = wrong_type('recover_worker', {{KEYS[6], 'list'}, {KEYS[8], 'set'}})
if bad then return bad end
local count_failed = counter_ok(KEYS[7])
local fresh = {}
for i = 1, n do
  if kind == 'cpp' and ARGV[13 + 3 * i - 1] ~= '' then
    bad = wrong_type('recover_worker', {{KEYS[9 + 2 * i - 1], 'list'}})
    if bad then return bad end
    fresh[i] = not counter_ok(KEYS[9 + 2 * i])
  end
end

bad = wrong_type('worker teardown', {{KEYS[1], 'set'}, {KEYS[2], 'hash'}})
if bad then return bad end
local requeued, failed, woken = {}, {}, {}
if kind == 'cpp' then
  local max = tonumber(ARGV[9])
  -- own_keys(): worker:<id>, then worker:<id>:started.
  if n > 0 and redis.call('EXISTS', KEYS[10 + 2 * n + 1]) == 0 then
    local name = ARGV[14 + 3 * n]
    for i = 1, n do
      -- node counted its entry in stat:failed; the job did not fail that way.
      for _ = 1, remove_peer_failures(KEYS[6], id, name, ARGV[13 + 3 * i - 2]) do
        if count_failed then redis.call('DECR', KEYS[7]) end
      end
    end
  end
  -- Last first, so that LPUSH leaves them at the head in their original order.
  for i = n, 1, -1 do
    local raw, queue, record = ARGV[13 + 3 * i - 2], ARGV[13 + 3 * i - 1], ARGV[13 + 3 * i]
    local queue_key, counter = KEYS[9 + 2 * i - 1], KEYS[9 + 2 * i]
    local deaths = 0
    if queue ~= '' then
      if fresh[i] then redis.call('DEL', counter) end
      deaths = redis.call('INCR', counter)
    end
    if queue == '' or deaths > max then
      redis.call('RPUSH', KEYS[6], record)
      if count_failed then redis.call('INCR', KEYS[7]) end
      redis.call('DEL', counter)
      failed[#failed + 1] = raw
    else
      redis.call('EXPIRE', counter, ARGV[10])
      redis.call('SADD', KEYS[8], queue)
      redis.call('LPUSH', queue_key, raw)
      woken[queue] = true
      requeued[#requeued + 1] = raw
    end
  end
elseif ARGV[11] ~= '' then
  -- A Ruby or node worker's job: failed, as Ruby's prune_dead_workers and node's
  -- forceCleanWorker record it (node also counts it in stat:failed; Ruby does not).
  redis.call('RPUSH', KEYS[6], ARGV[11])
  if kind == 'node' and count_failed then redis.call('INCR', KEYS[7]) end
  failed[1] = ARGV[7]
end

teardown_worker(KEYS[1], KEYS[2], KEYS[9], id, 10 + 2 * n)
for q in pairs(woken) do redis.call('PUBLISH', ARGV[12], q) end
return {'ok', requeued, failed}
