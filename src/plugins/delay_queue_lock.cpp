#include "resque/plugins/delay_queue_lock.hpp"

#include "resque/connection.hpp"

namespace resque::plugins {

DelayQueueLock::DelayQueueLock() : DelayQueueLock(Options{}) {}

DelayQueueLock::DelayQueueLock(Options options) : options_(options) {}

bool DelayQueueLock::before_enqueue(HookContext& ctx) {
  // timestamps:<item> exists exactly while the item is delayed somewhere (the scheduler and
  // del_delayed remove its last member together with the item), so one EXISTS answers it.
  const std::string node_key = ctx.keys.timestamps(encode_payload(ctx.job, Dialect::node));
  if (!options_.ruby_encoding) return ctx.redis.command({"EXISTS", node_key}).integer() == 0;
  const std::string ruby_key = ctx.keys.timestamps(encode_ruby_delayed(ctx.job));
  return ctx.redis.command({"EXISTS", node_key, ruby_key}).integer() == 0;
}

}  // namespace resque::plugins
