-- Enqueue one or more jobs: SADD queues + RPUSH per queue, then one PUBLISH per queue so idle
-- resque-cpp workers wake at once (other libraries' workers poll; nobody subscribed costs
-- nothing).
-- KEYS[1] = <ns>:queues
-- ARGV[1] = key prefix ("resque:"), ARGV[2] = wake channel,
-- then groups: queue name, job count n, n payloads.
-- Atomic: a crash (client or server) leaves either every job of the call written, with its
-- queue listed in `queues`, or none of them.
local prefix, channel = ARGV[1], ARGV[2]
local i, total = 3, 0
while i <= #ARGV do
  local q, n = ARGV[i], tonumber(ARGV[i + 1])
  redis.call('SADD', KEYS[1], q)
  redis.call('RPUSH', prefix .. 'queue:' .. q, unpack(ARGV, i + 2, i + 1 + n))
  redis.call('PUBLISH', channel, q)
  total = total + n
  i = i + 2 + n
end
return total
