-- Deletes a queue: DEL queue:<q> and SREM queues <q>.
-- KEYS[1] = queue:<q>, KEYS[2] = queues; ARGV[1] = q.
-- Atomic: nobody sees the queue listed without its list being gone, or the reverse.
redis.call('DEL', KEYS[1])
return redis.call('SREM', KEYS[2], ARGV[1])
