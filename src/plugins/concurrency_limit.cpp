#include "resque/plugins/concurrency_limit.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>

#include "plugins/common.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "scripts.hpp"

namespace resque::plugins {

namespace {
std::string data_key(const std::string& slot_key) {
  return "ConcurrencyLimit " + slot_key;
}

// The holder token: the worker id, which performs one job at a time, so a token is never held
// twice at once; a restarted worker with the same id takes its dead predecessor's slot back.
// Outside a worker (a plugin driven by hand) a process-unique token stands in.
std::string token_for(const HookContext& ctx) {
  if (!ctx.worker_id.empty()) return ctx.worker_id;
  static std::atomic<unsigned long long> seq{0};
  return fmt::format("anonymous:{}:{}", std::chrono::steady_clock::now().time_since_epoch().count(),
                     ++seq);
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

bool ConcurrencyLimit::before_perform(HookContext& ctx) {
  const std::string key = slot_key(ctx.keys, ctx.job);
  const std::string token = token_for(ctx);
  auto r = ctx.redis.eval(
      scripts::concurrency_acquire(), {key},
      {std::to_string(options_.limit), std::to_string(options_.slot_ttl.count()), token});
  if (r.integer() == 1) {
    ctx.data[data_key(key)] = token;
    return true;
  }
  detail::re_enqueue_later(ctx, options_.re_enqueue_delay);
  ctx.re_enqueued_by = name();
  return false;
}

void ConcurrencyLimit::release(HookContext& ctx) {
  const std::string key = slot_key(ctx.keys, ctx.job);
  auto it = ctx.data.find(data_key(key));
  if (it == ctx.data.end()) return;
  ctx.redis.eval(scripts::concurrency_release(), {key}, {it->second});
  ctx.data.erase(it);
}

void ConcurrencyLimit::after_perform(HookContext& ctx) {
  release(ctx);
}

void ConcurrencyLimit::perform_aborted(HookContext& ctx) {
  release(ctx);
}

}  // namespace resque::plugins
