#pragma once
// Running a job's plugin chain. Shared by Queue (enqueue hooks), Worker (perform hooks) and
// Scheduler (enqueue hooks on promotion).
#include <string>

#include "resque/plugin.hpp"
#include "resque/registry.hpp"

namespace resque::detail {

/// Runs before_enqueue hooks in order; false as soon as one vetoes. On a veto or a throwing
/// hook, the plugins that had passed get enqueue_aborted (reverse order), then the exception
/// (if any) propagates. `vetoed_by` (optional) receives the vetoing plugin's name.
bool run_before_enqueue(const JobDefinition* def, HookContext& ctx,
                        std::string* vetoed_by = nullptr);
void run_after_enqueue(const JobDefinition* def, HookContext& ctx);
/// The job was not written after before_enqueue passed (the write failed): every plugin gets
/// enqueue_aborted, in reverse order; their exceptions are swallowed.
void run_enqueue_aborted(const JobDefinition* def, HookContext& ctx);
/// As run_before_enqueue, for before_perform / perform_aborted.
bool run_before_perform(const JobDefinition* def, HookContext& ctx,
                        std::string* vetoed_by = nullptr);
/// Runs every after_perform hook, also when one throws: the (last) exception thrown becomes
/// ctx.error, so a lock released by a later plugin is still released.
void run_after_perform(const JobDefinition* def, HookContext& ctx);
void run_on_failure(const JobDefinition* def, HookContext& ctx);

}  // namespace resque::detail
