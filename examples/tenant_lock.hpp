#pragma once
// An example of a custom lock plugin written against the public plugin SDK only
// (docs/plugins.md): at most one job of a tenant performing at a time, across every worker.
// Jobs of a busy tenant are put back through the delayed queue instead of waiting.
#include <chrono>
#include <map>
#include <string>

#include "resque/lock.hpp"
#include "resque/plugin.hpp"

namespace example {

class TenantLock : public resque::Plugin {
 public:
  struct Options {
    /// Lease of the lock: longer than the longest perform (a holder that dies frees it after
    /// this). Default 10 min.
    std::chrono::milliseconds ttl{std::chrono::minutes(10)};
    /// Delay before a job of a busy tenant is tried again. Default 2 s.
    std::chrono::milliseconds retry_in{std::chrono::seconds(2)};
  };

  /// Kept in the HookContext between before_perform and after_perform: the token this perform
  /// holds (empty: none). Keyed by this type, so it cannot clash with other plugins' state.
  struct State {
    std::string token;
  };

  TenantLock() = default;
  explicit TenantLock(Options options) : options_(options) {}

  std::string name() const override { return "TenantLock"; }

  /// The tenant is the job's first argument: <ns>:tenant-lock:<tenant>.
  resque::Lock lock_for(const resque::HookContext& ctx) const {
    const auto& args = ctx.job.args;
    const std::string tenant = args.empty() ? "" : args[0].dump();
    resque::LockOptions o;
    o.ttl = options_.ttl;  // LockValue::Token: a random token per perform
    return resque::Lock(ctx.keys.key("tenant-lock:" + tenant), o);
  }

  bool before_perform(resque::HookContext& ctx) override {
    const resque::Lock lock = lock_for(ctx);
    const auto r = lock.acquire(ctx.redis);
    if (r.held()) {
      ctx.state<State>().token = r.value;
      return true;
    }
    // Busy: try again later. Setting re_enqueued_by makes the worker report on_re_enqueue.
    resque::re_enqueue_later(ctx, options_.retry_in);
    ctx.re_enqueued_by = name();
    return false;
  }

  void after_perform(resque::HookContext& ctx) override { release(ctx); }
  // A later plugin vetoed the perform: give the lock back.
  void perform_aborted(resque::HookContext& ctx) override { release(ctx); }

 private:
  void release(resque::HookContext& ctx) {
    State* s = ctx.find_state<State>();
    if (s == nullptr || s->token.empty()) return;
    // Deletes the lock only if this perform still holds it: a perform that outlived its ttl
    // never frees the lock of the next holder.
    lock_for(ctx).release(ctx.redis, s->token);
    s->token.clear();
  }

  Options options_;
};

}  // namespace example
