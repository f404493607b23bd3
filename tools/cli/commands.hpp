#pragma once
// resque-cli's command groups; each adds its subcommands (with their callbacks) to the app.
#include <CLI/CLI.hpp>
#include <string>

#include "context.hpp"
#include "resque/json.hpp"

namespace resque::cli {

void add_queue_commands(CLI::App& app, Context& ctx);    // stats, queues, queue, job, enqueue
void add_delayed_commands(CLI::App& app, Context& ctx);  // delayed, schedules
void add_worker_commands(CLI::App& app, Context& ctx);   // workers
void add_failed_commands(CLI::App& app, Context& ctx);   // failed
void add_admin_commands(CLI::App& app, Context& ctx);    // locks, pause, resume
void add_web_command(CLI::App& app, Context& ctx);       // web

/// ARGS_JSON: empty -> []; must be a JSON array (UsageError otherwise).
Json parse_args_json(const std::string& text);
/// Refuses a mass removal without --yes (UsageError naming what it would remove).
void require_yes(bool yes, const std::string& what);

}  // namespace resque::cli
