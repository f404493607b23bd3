#include "resque/plugins/job_lock.hpp"

#include <fmt/format.h>

#include "resque/connection.hpp"
#include "resque/error.hpp"

namespace resque::plugins {

JobLock::JobLock() : JobLock(Options{}) {}

JobLock::JobLock(Options options) : options_(std::move(options)) {
  if (options_.lock_timeout.count() <= 0)
    throw ConfigError(fmt::format("JobLock: lock_timeout must be positive, got {} s",
                                  options_.lock_timeout.count()));
  if (options_.re_enqueue_delay.count() < 0)
    throw ConfigError("JobLock: re_enqueue_delay must not be negative");
}

std::string JobLock::lock_key(const Keys& keys, const Job& job) const {
  return keys.job_lock(job.klass, job.queue,
                       options_.key ? options_.key(job) : encode_json(job.args));
}

Lock JobLock::lock(const Keys& keys, const Job& job) const {
  LockOptions o;
  o.ttl = options_.lock_timeout;
  o.value = LockValue::ExpiryStamp;  // node's value, so node workers read and honour it
  return Lock(lock_key(keys, job), o);
}

bool JobLock::before_perform(HookContext& ctx) {
  const Lock l = lock(ctx.keys, ctx.job);
  auto r = l.acquire(ctx.redis);
  if (r.held()) {
    ctx.state<State>().held[l.key()] = r.value;
    return true;
  }
  if (options_.re_enqueue) {
    re_enqueue_later(ctx, options_.re_enqueue_delay);
    ctx.re_enqueued_by = name();
  }
  return false;
}

void JobLock::release(HookContext& ctx) {
  release_held(ctx.redis, lock(ctx.keys, ctx.job), ctx.state<State>().held);
}

void JobLock::after_perform(HookContext& ctx) {
  release(ctx);
}

void JobLock::perform_aborted(HookContext& ctx) {
  release(ctx);
}

}  // namespace resque::plugins
