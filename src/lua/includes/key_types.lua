-- The checks a script runs on what it distrusts before its first write (Redis does not roll
-- back a script that errors midway, so a WRONGTYPE error after a write would leave part of the
-- change behind).
-- wrong_type: `wanted` is a list of {key, type}, type one of 'list', 'set', 'zset', 'hash',
-- 'string'; an absent key is fine. Returns an error reply naming the first key of another
-- type, or nil when all are fine.
local function wrong_type(who, wanted)
  for _, w in ipairs(wanted) do
    local t = redis.call('TYPE', w[1])['ok']
    if t ~= 'none' and t ~= w[2] then
      return redis.error_reply(who .. ': ' .. w[1] .. ' is a ' .. t .. ', not a ' .. w[2])
    end
  end
  return nil
end
-- counter_ok: INCR on the key cannot fail (absent, or a string holding an integer).
local function counter_ok(key)
  local t = redis.call('TYPE', key)['ok']
  if t == 'none' then return true end
  if t ~= 'string' then return false end
  local v = redis.call('GET', key)
  return string.match(v, '^-?%d+$') ~= nil and #v < 19
end
