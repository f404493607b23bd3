#pragma once
// Running a job's plugin chain. Shared by Queue (enqueue hooks), Worker (perform hooks) and
// Scheduler (enqueue hooks on promotion).
#include "resque/plugin.hpp"
#include "resque/registry.hpp"

namespace resque::detail {

/// Runs before_enqueue hooks in order; false as soon as one vetoes.
bool run_before_enqueue(const JobDefinition* def, HookContext& ctx);
void run_after_enqueue(const JobDefinition* def, HookContext& ctx);
bool run_before_perform(const JobDefinition* def, HookContext& ctx);
void run_after_perform(const JobDefinition* def, HookContext& ctx);
void run_on_failure(const JobDefinition* def, HookContext& ctx);

}  // namespace resque::detail
