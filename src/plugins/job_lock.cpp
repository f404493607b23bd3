#include "resque/plugins/job_lock.hpp"

#include <fmt/format.h>

#include "plugins/common.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "scripts.hpp"

namespace resque::plugins {

namespace {
std::string data_key(const std::string& lock_key) {
  return "JobLock " + lock_key;
}
}  // namespace

JobLock::JobLock() : JobLock(Options{}) {}

JobLock::JobLock(Options options) : options_(std::move(options)) {
  if (options_.lock_timeout.count() <= 0)
    throw ConfigError(fmt::format("JobLock: lock_timeout must be positive, got {} s",
                                  options_.lock_timeout.count()));
  if (options_.re_enqueue_delay.count() < 0)
    throw ConfigError("JobLock: re_enqueue_delay must not be negative");
}

std::string JobLock::lock_key(const Keys& keys, const Job& job) const {
  return keys.job_lock(job.klass, job.queue, detail::identity(options_.key, job));
}

bool JobLock::before_perform(HookContext& ctx) {
  const std::string key = lock_key(ctx.keys, ctx.job);
  const std::string timeout = std::to_string(options_.lock_timeout.count());
  auto r = ctx.redis.eval(scripts::job_lock_acquire(), {key}, {timeout});
  if (r.element(0).integer() == 1) {
    ctx.data[data_key(key)] = r.element(1).string();
    return true;
  }
  if (options_.re_enqueue) {
    detail::re_enqueue_later(ctx, options_.re_enqueue_delay);
    ctx.re_enqueued_by = name();
  }
  return false;
}

void JobLock::release(HookContext& ctx) {
  const std::string key = lock_key(ctx.keys, ctx.job);
  auto it = ctx.data.find(data_key(key));
  if (it == ctx.data.end()) return;
  ctx.redis.eval(scripts::lock_release(), {key}, {it->second});
  ctx.data.erase(it);
}

void JobLock::after_perform(HookContext& ctx) {
  release(ctx);
}

void JobLock::perform_aborted(HookContext& ctx) {
  release(ctx);
}

}  // namespace resque::plugins
