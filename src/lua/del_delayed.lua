-- Removes one delayed job wherever it is scheduled, in node's and Ruby's encodings.
-- KEYS[1] = delayed_queue_schedule, KEYS[2] = timestamps:<node item>,
-- KEYS[3] = timestamps:<Ruby item>
-- ARGV[1] = key prefix ("resque:"), ARGV[2] = node item, ARGV[3] = Ruby item
-- The timestamps sets name the delayed lists ("delayed:<S>", un-namespaced as the peers write
-- them), so the list keys are built here from the prefix.
-- Returns the timestamps S (strings) from which an entry was removed.
-- Atomic: the list entries, the timestamps members and, for a list left empty, the list and
-- its schedule entry go together, so the scheduler never meets a half-removed job.
local removed, seen = {}, {}
for i = 2, 3 do
  local item = ARGV[i]
  for _, member in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    local ts = string.match(member, '^delayed:(.+)$')
    if ts then
      local list = ARGV[1] .. member
      local n = redis.call('LREM', list, 0, item)
      if n > 0 and not seen[ts] then
        seen[ts] = true
        removed[#removed + 1] = ts
      end
      if redis.call('LLEN', list) == 0 then
        redis.call('DEL', list)
        redis.call('ZREM', KEYS[1], ts)
      end
    end
    redis.call('SREM', KEYS[i], member)
  end
end
return removed
