#include "resque/plugins/queue_lock.hpp"

#include <fmt/format.h>

#include "lock_style.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"

namespace resque::plugins {

QueueLock::QueueLock() : QueueLock(Options{}) {}

QueueLock::QueueLock(Options options) : options_(std::move(options)) {
  detail::check_lock_timeout("QueueLock", options_.key_style, options_.lock_timeout);
}

std::string QueueLock::lock_key(const Keys& keys, const Job& job) const {
  switch (options_.key_style) {
    case LockKeyStyle::ResqueLockTimeout:
      // redis_loner_lock_key: ['loner', redis_lock_key(*args)].join(':')
      return keys.key("loner:" + std::string(keys.strip(run_lock_key(keys, job))));
    case LockKeyStyle::ResqueLock:
      // lock.rb: "lock:#{name}-#{args.to_s}", or the class's own `lock` override
      return keys.key(options_.key ? options_.key(job)
                                   : "lock:" + job.klass + "-" + ruby_inspect(job.args));
    case LockKeyStyle::Node: break;
  }
  return keys.queue_lock(job.klass, job.queue,
                         options_.key ? options_.key(job) : encode_json(job.args));
}

std::string QueueLock::run_lock_key(const Keys& keys, const Job& job) const {
  if (options_.key_style != LockKeyStyle::ResqueLockTimeout) return {};
  return detail::lock_timeout_run_key(keys, job, options_.key);
}

Lock QueueLock::lock(const Keys& keys, const Job& job) const {
  LockOptions o = detail::style_lock_options(options_.key_style, options_.lock_timeout);
  // node QueueLock's rule for a lock left without its TTL (Ruby styles: set already)
  if (options_.key_style == LockKeyStyle::Node) o.take_over_stale = true;
  // resque-lock-timeout's before_enqueue_lock refuses a loner while the same job runs.
  if (options_.key_style == LockKeyStyle::ResqueLockTimeout)
    o.blocked_by.push_back(run_lock_key(keys, job));
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
  // resque-lock holds its lock until the perform ends (after_perform releases it).
  if (options_.key_style == LockKeyStyle::ResqueLock) return true;
  // Unconditional, as node (and resque-lock-timeout's release_loner_lock!) do: the lock
  // belongs to the queued copy this worker just took, whoever enqueued it (so the worker has
  // no token for it).
  ctx.redis.command({"DEL", lock_key(ctx.keys, ctx.job)});
  return true;
}

void QueueLock::after_perform(HookContext& ctx) {
  // lock.rb's around_perform_lock: `ensure Resque.redis.del(lock(*args))`, failed or not.
  if (options_.key_style == LockKeyStyle::ResqueLock)
    ctx.redis.command({"DEL", lock_key(ctx.keys, ctx.job)});
}

}  // namespace resque::plugins
