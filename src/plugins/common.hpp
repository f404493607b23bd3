#pragma once
// Helpers shared by the built-in plugins. They use only what a custom plugin can use too:
// HookContext, Queue's public API and Connection.
#include <chrono>
#include <functional>
#include <string>

#include "resque/plugin.hpp"

namespace resque::plugins::detail {

/// The job's identity for a lock key: key(job) when set, else node's JSON.stringify(args).
std::string identity(const std::function<std::string(const Job&)>& key, const Job& job);

/// Puts the job back through the delayed queue, `delay` from now. The delayed queue keeps one
/// copy of a job per second, so when an identical job is already delayed at that second the
/// next free second is used: a re-enqueue never silently merges two jobs into one.
void re_enqueue_later(HookContext& ctx, std::chrono::milliseconds delay);

}  // namespace resque::plugins::detail
