-- Lock release (resque::Lock): deletes the lock only if it still holds the holder's token.
-- KEYS[1] lock key, ARGV[1] the token (the value written when it was taken). Returns 1 if
-- deleted, 0 if the token does not hold it.
-- GET and DEL in one script: a lock that expired and was taken by another holder in between is
-- never deleted (node's JobLock deletes unconditionally and can free someone else's lock).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
