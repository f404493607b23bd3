#include "hooks.hpp"

#include <cstddef>

namespace resque::detail {

namespace {

// Undoes plugins [0, n) in reverse order. An abort hook that throws must not hide the veto or
// the original exception, and must not keep the others from releasing what they hold.
template <class Abort>
void abort_first(const JobDefinition* def, std::size_t n, HookContext& ctx, Abort abort) {
  for (std::size_t i = n; i-- > 0;) {
    try {
      abort(*def->plugins[i], ctx);
    } catch (...) {
    }
  }
}

template <class Before, class Abort>
bool run_before(const JobDefinition* def, HookContext& ctx, std::string* vetoed_by, bool perform,
                Before before, Abort abort) {
  if (def == nullptr) return true;
  const auto& plugins = def->plugins;
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    bool ok = false;
    try {
      ok = before(*plugins[i], ctx);
    } catch (...) {
      abort_first(def, i, ctx, abort);
      throw;
    }
    if (!ok) {
      if (vetoed_by != nullptr) *vetoed_by = plugins[i]->name();
      if (perform) ctx.skipped = true;
      abort_first(def, i, ctx, abort);
      return false;
    }
  }
  return true;
}

}  // namespace

bool run_before_enqueue(const JobDefinition* def, HookContext& ctx, std::string* vetoed_by) {
  return run_before(
      def, ctx, vetoed_by, false, [](Plugin& p, HookContext& c) { return p.before_enqueue(c); },
      [](Plugin& p, HookContext& c) { p.enqueue_aborted(c); });
}

void run_after_enqueue(const JobDefinition* def, HookContext& ctx) {
  if (def == nullptr) return;
  for (const auto& p : def->plugins) p->after_enqueue(ctx);
}

void run_enqueue_aborted(const JobDefinition* def, HookContext& ctx) {
  if (def == nullptr) return;
  abort_first(def, def->plugins.size(), ctx,
              [](Plugin& p, HookContext& c) { p.enqueue_aborted(c); });
}

bool run_before_perform(const JobDefinition* def, HookContext& ctx, std::string* vetoed_by) {
  return run_before(
      def, ctx, vetoed_by, true, [](Plugin& p, HookContext& c) { return p.before_perform(c); },
      [](Plugin& p, HookContext& c) { p.perform_aborted(c); });
}

void run_after_perform(const JobDefinition* def, HookContext& ctx) {
  if (def == nullptr) return;
  for (const auto& p : def->plugins) {
    try {
      p->after_perform(ctx);
    } catch (...) {
      ctx.error = std::current_exception();
    }
  }
}

void run_on_failure(const JobDefinition* def, HookContext& ctx) {
  if (def == nullptr) return;
  for (const auto& p : def->plugins) p->on_failure(ctx);
}

}  // namespace resque::detail
