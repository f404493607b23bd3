#include "resque/plugins/queue_lock.hpp"

#include <fmt/format.h>

#include "resque/connection.hpp"
#include "resque/error.hpp"

namespace resque::plugins {

QueueLock::QueueLock() : QueueLock(Options{}) {}

QueueLock::QueueLock(Options options) : options_(std::move(options)) {
  if (options_.lock_timeout.count() <= 0)
    throw ConfigError(fmt::format("QueueLock: lock_timeout must be positive, got {} s",
                                  options_.lock_timeout.count()));
}

std::string QueueLock::lock_key(const Keys& keys, const Job& job) const {
  return keys.queue_lock(job.klass, job.queue,
                         options_.key ? options_.key(job) : encode_json(job.args));
}

Lock QueueLock::lock(const Keys& keys, const Job& job) const {
  LockOptions o;
  o.ttl = options_.lock_timeout;
  o.value = LockValue::ExpiryStamp;  // node's value, so node clients read and honour it
  o.take_over_stale = true;          // node's rule for a lock left without its TTL
  return Lock(lock_key(keys, job), o);
}

bool QueueLock::before_enqueue(HookContext& ctx) {
  const Lock l = lock(ctx.keys, ctx.job);
  auto r = l.acquire(ctx.redis);
  if (!r.held()) return false;
  ctx.state<State>().held[l.key()] = r.value;
  return true;
}

void QueueLock::enqueue_aborted(HookContext& ctx) {
  release_held(ctx.redis, lock(ctx.keys, ctx.job), ctx.state<State>().held);
}

bool QueueLock::before_perform(HookContext& ctx) {
  // Unconditional, as node does: the lock belongs to the queued copy this worker just took,
  // whoever enqueued it (so the worker has no token for it).
  ctx.redis.command({"DEL", lock_key(ctx.keys, ctx.job)});
  return true;
}

}  // namespace resque::plugins
