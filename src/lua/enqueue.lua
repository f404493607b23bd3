-- Enqueue one or more jobs: SADD queues + RPUSH per queue, then one PUBLISH per queue so idle
-- resque-cpp workers wake at once (other libraries' workers poll; nobody subscribed costs
-- nothing).
-- KEYS[1] = <ns>:queues, KEYS[1+g] = queue:<q> of group g (protocol::enqueue builds them).
-- ARGV[1] = wake channel, then per group g: queue name q, job count n, n encoded payloads.
-- Returns how many jobs were written.
-- Atomic: a crash (client or server) leaves either every job of the call written, with its
-- queue listed in `queues`, or none of them.
-- Distrusts: the types of `queues` and of every queue list (any client can write any type
-- there). All are checked before the first write, so a wrong-typed key refuses the whole call
-- with nothing written, instead of leaving the groups before it (or the queue name) behind.
--- @include "key_types"
local wanted = {{KEYS[1], 'set'}}
for g = 2, #KEYS do wanted[#wanted + 1] = {KEYS[g], 'list'} end
local err = wrong_type('enqueue', wanted)
if err then return err end
local channel = ARGV[1]
local i, g, total = 2, 2, 0
while i <= #ARGV do
  local q, n = ARGV[i], tonumber(ARGV[i + 1])
  redis.call('SADD', KEYS[1], q)
  redis.call('RPUSH', KEYS[g], unpack(ARGV, i + 2, i + 1 + n))
  redis.call('PUBLISH', channel, q)
  total = total + n
  i = i + 2 + n
  g = g + 1
end
return total
