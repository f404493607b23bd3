#pragma once
// Helpers for the plugin tests: moving delayed jobs into their queues (what a Scheduler does;
// the Scheduler itself is not needed by these tests), counting concurrent performs in Redis,
// (node_peer.hpp locates the node-resque driver scripts).

#include <string>

#include "node_peer.hpp"  // node_script, RESQUE_REQUIRE_NODE
#include "resque/connection.hpp"
#include "resque/keys.hpp"

namespace resque::test {

/// Moves every delayed job, whatever its time, into its queue (LPOP delayed:<S>, SREM
/// timestamps:<item>, RPUSH queue:<q>, PUBLISH the wake-up), as a Scheduler's promotion does
/// but without waiting for the time: the tests' re-enqueue delays are only a formality.
/// Returns how many jobs were moved.
inline long long promote_all_delayed(Connection& c, const Keys& keys) {
  static const Script script(R"(
local p = ARGV[1]
local moved = 0
for _, s in ipairs(redis.call('ZRANGE', p .. 'delayed_queue_schedule', 0, -1)) do
  local list = p .. 'delayed:' .. s
  while true do
    local item = redis.call('LPOP', list)
    if not item then break end
    redis.call('SREM', p .. 'timestamps:' .. item, 'delayed:' .. s)
    local q = cjson.decode(item).queue
    redis.call('SADD', p .. 'queues', q)
    redis.call('RPUSH', p .. 'queue:' .. q, item)
    redis.call('PUBLISH', ARGV[2], q)
    moved = moved + 1
  end
  redis.call('ZREM', p .. 'delayed_queue_schedule', s)
end
return moved)");
  return c.eval(script, {}, {keys.prefix(), keys.enqueue_channel()}).integer();
}

/// A perform counting itself: `running` +1 (and `max` raised to it), returns the new count.
/// The node driver (plugin_common.js ENTER) runs the same script on the same keys.
inline long long enter_running(Connection& c, const std::string& running, const std::string& max) {
  static const Script script(R"(
local n = redis.call('INCR', KEYS[1])
if n > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], n) end
return n)");
  return c.eval(script, {running, max}, {}).integer();
}

}  // namespace resque::test
