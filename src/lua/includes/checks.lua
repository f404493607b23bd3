-- Checks a script runs on what it distrusts before its first write (Redis does not roll back a
-- script that errors midway, so an error after a write would leave part of its effect).
-- key_type_ok: the key is absent or of type `want` ('list', 'string', 'hash', 'set', 'zset').
local function key_type_ok(key, want)
  local t = redis.call('TYPE', key)['ok']
  return t == 'none' or t == want
end
-- counter_ok: INCR on the key cannot fail (absent, or a string holding an integer).
local function counter_ok(key)
  local t = redis.call('TYPE', key)['ok']
  if t == 'none' then return true end
  if t ~= 'string' then return false end
  local v = redis.call('GET', key)
  return string.match(v, '^-?%d+$') ~= nil and #v < 19
end
