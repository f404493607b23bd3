#include "resque/plugins/job_lock.hpp"

#include <fmt/format.h>

#include "lock_style.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"

namespace resque::plugins {

JobLock::JobLock() : JobLock(Options{}) {}

JobLock::JobLock(Options options) : options_(std::move(options)) {
  if (options_.key_style == LockKeyStyle::ResqueLock)
    throw ConfigError(
        "JobLock: LockKeyStyle::ResqueLock has no run lock (resque-lock's enqueue lock is held "
        "until the perform ends): use QueueLock with that style");
  detail::check_lock_timeout("JobLock", options_.key_style, options_.lock_timeout);
  if (options_.re_enqueue_delay.count() < 0)
    throw ConfigError("JobLock: re_enqueue_delay must not be negative");
}

std::string JobLock::lock_key(const Keys& keys, const Job& job) const {
  if (options_.key_style == LockKeyStyle::ResqueLockTimeout)
    return detail::lock_timeout_run_key(keys, job, options_.key);
  return keys.job_lock(job.klass, job.queue,
                       options_.key ? options_.key(job) : encode_json(job.args));
}

Lock JobLock::lock(const Keys& keys, const Job& job) const {
  return Lock(lock_key(keys, job),
              detail::style_lock_options(options_.key_style, options_.lock_timeout));
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
