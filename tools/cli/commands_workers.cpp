// workers, workers clean, workers prune.
#include <iostream>
#include <memory>

#include "admin.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace resque::cli {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

void workers(Context& ctx) {
  const auto all = worker_views(ctx.queue());
  const std::int64_t now = ctx.now();
  if (ctx.json) {
    Json out = Json::array();
    for (const auto& w : all) out.push_back(worker_json(w, now));
    return print_json(std::cout, out);
  }
  if (all.empty()) {
    std::cout << "no workers\n";
    return;
  }
  Table t{{"WORKER", "QUEUES", "JOB", "RUNNING FOR", "LAST HEARTBEAT"}, {}};
  for (const auto& w : all) {
    std::string job = "idle", running;
    if (w.busy) {
      const Json& p = w.payload;
      job = (p.is_object() && p.contains("class") && p["class"].is_string()
                 ? p["class"].get<std::string>()
                 : std::string("?")) +
            " on " + w.queue;
      if (p.is_object() && p.contains("args")) job += " " + brief_json(p["args"], 40);
      running = w.run_at ? duration(now - *w.run_at) : "?";
    }
    t.add({w.info.name, join(w.info.queues), job, running,
           w.heartbeat ? duration(now - *w.heartbeat) + " ago" : "none"});
  }
  t.print(std::cout);
}

void clean(Context& ctx, long long older_than) {
  const auto cleaned = ctx.queue().clean_old_workers(std::chrono::seconds(older_than));
  if (ctx.json) {
    Json ids = Json::array();
    for (const auto& [id, failure] : cleaned) ids.push_back(id);
    return print_json(std::cout, {{"cleaned", ids}});
  }
  for (const auto& [id, failure] : cleaned)
    std::cout << "cleaned " << safe_text(id) << " (its job is now in the failed list)\n";
  if (cleaned.empty())
    std::cout << "no worker has been on one job for more than " << duration(older_than) << "\n";
}

void prune(Context& ctx, long long older_than) {
  const auto pruned = prune_dead_workers(ctx.queue(), ctx.now(), older_than);
  if (ctx.json) return print_json(std::cout, {{"pruned", pruned}});
  for (const auto& id : pruned) std::cout << "pruned " << safe_text(id) << "\n";
  if (pruned.empty())
    std::cout << "no worker has been silent for more than " << duration(older_than) << "\n";
}

}  // namespace

void add_worker_commands(CLI::App& app, Context& ctx) {
  auto* w = app.add_subcommand(
      "workers", "Registered workers (Ruby, node, resque-cpp), their current job and for how long");
  auto* clean_cmd = w->add_subcommand(
      "clean",
      "Force-clean workers busy with one job for longer than --older-than (the job goes "
      "to the failed list)");
  auto secs = std::make_shared<long long>(0);
  clean_cmd->add_option("--older-than", *secs, "seconds")->required()->check(CLI::PositiveNumber);
  clean_cmd->callback([&ctx, secs] { clean(ctx, *secs); });
  auto prune_secs = std::make_shared<long long>(300);
  auto* prune_cmd = w->add_subcommand(
      "prune",
      "Unregister workers whose heartbeat (or node ping) is older than --older-than; "
      "their current job goes to the failed list");
  prune_cmd->add_option("--older-than", *prune_secs, "seconds (Ruby prunes after 300)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  prune_cmd->callback([&ctx, prune_secs] { prune(ctx, *prune_secs); });
  w->callback([&ctx, w] {
    if (w->get_subcommands().empty()) workers(ctx);
  });
}

}  // namespace resque::cli
