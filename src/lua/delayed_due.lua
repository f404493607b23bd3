-- Reads the next due delayed timestamp and up to N of its items (read-only).
-- KEYS[1] = delayed_queue_schedule
-- ARGV[1] = key prefix, ARGV[2] = N
-- Returns {now} when nothing is due, else {now, ts member, {items...}}; now = Redis TIME
-- seconds, so every scheduler judges "due" by the same clock. Changes nothing: promote.lua
-- re-checks every item it moves.
-- The one key built here, delayed:<ts>, can only be known inside the script: ts is found by
-- the ZRANGEBYSCORE above it (Keys::delayed builds the same name in C++).
-- Distrusts: delayed:<ts> holding another type (anyone may write it): it is reported as
-- {now, ts, false} so the caller can set it aside instead of failing on every poll.
local now = tonumber(redis.call('TIME')[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
if #due == 0 then return {tostring(now)} end
local key = ARGV[1] .. 'delayed:' .. due[1]
local t = redis.call('TYPE', key)['ok']
if t ~= 'list' and t ~= 'none' then return {tostring(now), due[1], false} end
local items = redis.call('LRANGE', key, 0, tonumber(ARGV[2]) - 1)
return {tostring(now), due[1], items}
