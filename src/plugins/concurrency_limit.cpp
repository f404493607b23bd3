#include "resque/plugins/concurrency_limit.hpp"

#include <fmt/format.h>

#include "resque/connection.hpp"
#include "resque/error.hpp"

namespace resque::plugins {

namespace {

// The holder token: the worker id, which performs one job at a time, so a token is never held
// twice at once; a restarted worker with the same id takes its dead predecessor's slot back.
// Outside a worker (a plugin driven by hand) a process-unique token stands in.
std::string token_for(const HookContext& ctx) {
  if (!ctx.worker_id.empty()) return ctx.worker_id;
  return "anonymous:" + Lock::random_token();
}
}  // namespace

ConcurrencyLimit::ConcurrencyLimit(long long limit)
    : ConcurrencyLimit([limit] {
        Options o;
        o.limit = limit;
        return o;
      }()) {}

ConcurrencyLimit::ConcurrencyLimit(Options options) : options_(std::move(options)) {
  if (options_.limit < 1)
    throw ConfigError(
        fmt::format("{}: limit must be at least 1, got {}", options_.name, options_.limit));
  if (options_.slot_ttl.count() <= 0)
    throw ConfigError(fmt::format("{}: slot_ttl must be positive", options_.name));
  if (options_.re_enqueue_delay.count() < 0)
    throw ConfigError(fmt::format("{}: re_enqueue_delay must not be negative", options_.name));
}

std::string ConcurrencyLimit::slot_key(const Keys& keys, const Job& job) const {
  return keys.concurrency(options_.key ? options_.key(job) : job.klass);
}

Semaphore ConcurrencyLimit::semaphore(const Keys& keys, const Job& job) const {
  return Semaphore(slot_key(keys, job), options_.limit, options_.slot_ttl);
}

bool ConcurrencyLimit::before_perform(HookContext& ctx) {
  const Semaphore sem = semaphore(ctx.keys, ctx.job);
  const std::string token = token_for(ctx);
  if (sem.acquire(ctx.redis, token)) {
    ctx.state<State>().held[sem.key()] = token;
    return true;
  }
  re_enqueue_later(ctx, options_.re_enqueue_delay);
  ctx.re_enqueued_by = name();
  return false;
}

void ConcurrencyLimit::release(HookContext& ctx) {
  release_held(ctx.redis, semaphore(ctx.keys, ctx.job), ctx.state<State>().held);
}

void ConcurrencyLimit::after_perform(HookContext& ctx) {
  release(ctx);
}

void ConcurrencyLimit::perform_aborted(HookContext& ctx) {
  release(ctx);
}

}  // namespace resque::plugins
