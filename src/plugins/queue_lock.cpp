#include "resque/plugins/queue_lock.hpp"

#include <fmt/format.h>

#include "plugins/common.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "scripts.hpp"

namespace resque::plugins {

namespace {
std::string data_key(const std::string& lock_key) {
  return "QueueLock " + lock_key;
}
}  // namespace

QueueLock::QueueLock() : QueueLock(Options{}) {}

QueueLock::QueueLock(Options options) : options_(std::move(options)) {
  if (options_.lock_timeout.count() <= 0)
    throw ConfigError(fmt::format("QueueLock: lock_timeout must be positive, got {} s",
                                  options_.lock_timeout.count()));
}

std::string QueueLock::lock_key(const Keys& keys, const Job& job) const {
  return keys.queue_lock(job.klass, job.queue, detail::identity(options_.key, job));
}

bool QueueLock::before_enqueue(HookContext& ctx) {
  const std::string key = lock_key(ctx.keys, ctx.job);
  const std::string timeout = std::to_string(options_.lock_timeout.count());
  auto r = ctx.redis.eval(scripts::queue_lock_acquire(), {key}, {timeout});
  if (r.element(0).integer() != 1) return false;
  ctx.data[data_key(key)] = r.element(1).string();
  return true;
}

void QueueLock::enqueue_aborted(HookContext& ctx) {
  const std::string key = lock_key(ctx.keys, ctx.job);
  auto it = ctx.data.find(data_key(key));
  if (it == ctx.data.end()) return;
  ctx.redis.eval(scripts::lock_release(), {key}, {it->second});
}

bool QueueLock::before_perform(HookContext& ctx) {
  // Unconditional, as node does: the lock belongs to the queued copy this worker just took,
  // whoever enqueued it.
  ctx.redis.command({"DEL", lock_key(ctx.keys, ctx.job)});
  return true;
}

}  // namespace resque::plugins
