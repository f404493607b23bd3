-- Reads the next due delayed timestamp and up to N of its items (read-only).
-- KEYS[1] = <ns>:delayed_queue_schedule
-- ARGV[1] = key prefix, ARGV[2] = N
-- Returns {now} when nothing is due, else {now, ts member, {items...}}; now = Redis TIME
-- seconds, so every scheduler judges "due" by the same clock. Changes nothing: promote.lua
-- re-checks every item it moves.
local now = tonumber(redis.call('TIME')[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
if #due == 0 then return {tostring(now)} end
local items = redis.call('LRANGE', ARGV[1] .. 'delayed:' .. due[1], 0, tonumber(ARGV[2]) - 1)
return {tostring(now), due[1], items}
