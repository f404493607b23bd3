-- Pruners reconcile: removes the failure entries a peer wrote for one job of one of our
-- workers when it unregistered that worker as dead, once the job is accounted for otherwise
-- (it finished, or recovery requeues it or records its own failure), so the job ends once.
-- Peers' entries: Ruby's prune_dead_workers writes Resque::DirtyExit (same-host pruner) or
-- Resque::PruneDeadWorkerDirtyExit (heartbeat pruner) with worker = our id; node-resque's
-- forceCleanWorker (cleanOldWorkers, the scheduler's checkStuckWorkers) writes "Worker Timeout
-- (killed manually)" with worker = our name and also counts it in stat:failed.
-- Match: worker (id or name), one of those exceptions, and a payload that decodes to the same
-- value as the job's bytes (peers re-encode the payload they read from worker:<id>, so bytes
-- may differ; a payload that is not a JSON object is in our status, so in theirs, as a string).
-- Cost, bounded: only the last PEER_SCAN_MAX entries of `failed`, newest first, in pages of
-- PEER_SCAN_PAGE; an entry is decoded only if its bytes contain the worker's name (plain
-- find). Callers run it only when a peer unregistered the worker (its worker:<id>:started,
-- which nothing of ours deletes while the worker lives, is gone), never on an ordinary step.
-- The peer wrote its entry while the job was still in flight; what lies after it in `failed`
-- is what failed fleet-wide since, so 1,000 covers a job that outlived 1,000 other failures.
-- Distrusts: the type of `failed` (anything but a list: nothing is looked at) and every entry
-- (decoded under pcall). Returns the number of node entries removed (node counted them).
local PEER_SCAN_MAX, PEER_SCAN_PAGE = 1000, 100
local PEER_EXCEPTIONS = {
  ['Resque::DirtyExit'] = 'ruby',
  ['Resque::PruneDeadWorkerDirtyExit'] = 'ruby',
  ['Worker Timeout (killed manually)'] = 'node',
}
local function peer_same_value(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= 'table' then return a == b end
  for k, v in pairs(a) do
    if not peer_same_value(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end
local function remove_peer_failures(failed_key, id, name, payload)
  if redis.call('TYPE', failed_key)['ok'] ~= 'list' then return 0 end
  local want = payload
  if string.byte(payload, 1) == 123 and string.byte(payload, -1) == 125 then
    local ok, v = pcall(cjson.decode, payload)
    if ok then want = v end
  end
  local node = 0
  local stop = redis.call('LLEN', failed_key)  -- entries [0, stop) are still to look at
  local left = PEER_SCAN_MAX
  while left > 0 and stop > 0 do
    local n = math.min(PEER_SCAN_PAGE, left, stop)
    local page = redis.call('LRANGE', failed_key, stop - n, stop - 1)
    for i = #page, 1, -1 do
      local e = page[i]
      if string.find(e, name, 1, true) then
        local ok, f = pcall(cjson.decode, e)
        if ok and type(f) == 'table' and (f.worker == id or f.worker == name) then
          local who = PEER_EXCEPTIONS[f.exception]
          if who and peer_same_value(f.payload, want) then
            -- Removing it shifts only entries after it, never those still to look at.
            redis.call('LREM', failed_key, -1, e)
            if who == 'node' then node = node + 1 end
          end
        end
      end
    end
    left = left - n
    stop = stop - n
  end
  return node
end
