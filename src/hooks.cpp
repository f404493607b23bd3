#include "hooks.hpp"

namespace resque::detail {

bool run_before_enqueue(const JobDefinition* def, HookContext& ctx) {
  if (def == nullptr) return true;
  for (const auto& p : def->plugins)
    if (!p->before_enqueue(ctx)) return false;
  return true;
}

void run_after_enqueue(const JobDefinition* def, HookContext& ctx) {
  if (def == nullptr) return;
  for (const auto& p : def->plugins) p->after_enqueue(ctx);
}

bool run_before_perform(const JobDefinition* def, HookContext& ctx) {
  if (def == nullptr) return true;
  for (const auto& p : def->plugins)
    if (!p->before_perform(ctx)) return false;
  return true;
}

void run_after_perform(const JobDefinition* def, HookContext& ctx) {
  if (def == nullptr) return;
  for (const auto& p : def->plugins) p->after_perform(ctx);
}

void run_on_failure(const JobDefinition* def, HookContext& ctx) {
  if (def == nullptr) return;
  for (const auto& p : def->plugins) p->on_failure(ctx);
}

}  // namespace resque::detail
