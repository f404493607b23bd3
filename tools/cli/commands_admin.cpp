// locks, locks delete, pause, resume, pause status.
#include <iostream>
#include <memory>

#include "admin.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace resque::cli {

namespace {

void locks(Context& ctx) {
  const auto all = lock_views(ctx.queue());
  if (ctx.json) {
    Json out = Json::array();
    for (const auto& l : all) out.push_back({{"key", l.key}, {"value", l.value}, {"ttl", l.ttl}});
    return print_json(std::cout, out);
  }
  if (all.empty()) {
    std::cout << "no locks\n";
    return;
  }
  Table t{{"KEY", "VALUE", "EXPIRES IN"}, {}};
  for (const auto& l : all)
    t.add({l.key, safe_text(l.value, 60), l.ttl < 0 ? "never" : duration(l.ttl)});
  t.print(std::cout);
}

void lock_delete(Context& ctx, const std::string& key) {
  Queue& q = ctx.queue();
  bool existed = false;
  const std::string leader = std::string(q.keys().strip(q.keys().leader_lock()));
  const std::string master = std::string(q.keys().strip(q.keys().ruby_master_lock()));
  if (key == leader || key == master) {
    // A dead scheduler's leader lock blocks promotion until its TTL (node-resque #152).
    auto conn = q.pool().acquire();
    existed = conn->command({"DEL", q.keys().key(key)}).integer() > 0;
  } else if (key.rfind("lock:", 0) == 0 || key.rfind("workerslock:", 0) == 0) {
    existed = q.del_lock(key);
  } else {
    throw UsageError("'" + key + "' is not a lock (lock:*, workerslock:*, " + leader + ", " +
                     master + ")");
  }
  if (!existed) throw NotFound("no lock named '" + key + "'");
  if (ctx.json) return print_json(std::cout, {{"deleted", key}});
  std::cout << "deleted " << safe_text(key) << "\n";
}

void pause_status(Context& ctx) {
  const bool paused = ctx.queue().all_paused();
  if (ctx.json) return print_json(std::cout, {{"paused", paused}});
  std::cout << (paused ? "paused: workers take no new jobs (resque-cli resume to continue)\n"
                       : "not paused\n");
}

void set_paused(Context& ctx, bool paused) {
  if (paused)
    ctx.queue().pause_all();
  else
    ctx.queue().resume_all();
  if (ctx.json) return print_json(std::cout, {{"paused", paused}});
  std::cout << (paused ? "paused: Ruby and resque-cpp workers take no new jobs (node-resque "
                         "workers do not read this key)\n"
                       : "resumed\n");
}

}  // namespace

void add_admin_commands(CLI::App& app, Context& ctx) {
  auto* l = app.add_subcommand(
      "locks", "Plugin locks (node's lock:*, workerslock:*) and scheduler leader locks");
  auto key = std::make_shared<std::string>();
  auto* del = l->add_subcommand("delete", "Delete one lock by the name `locks` shows");
  del->add_option("KEY", *key, "lock name")->required();
  del->callback([&ctx, key] { lock_delete(ctx, *key); });
  l->callback([&ctx, l] {
    if (l->get_subcommands().empty()) locks(ctx);
  });

  auto* p = app.add_subcommand("pause",
                               "Set pause-all-workers: workers finish their job, take no new one");
  auto* st = p->add_subcommand("status", "Whether workers are paused");
  st->callback([&ctx] { pause_status(ctx); });
  p->callback([&ctx, p] {
    if (p->get_subcommands().empty()) set_paused(ctx, true);
  });
  app.add_subcommand("resume", "Clear pause-all-workers")->callback([&ctx] {
    set_paused(ctx, false);
  });
}

}  // namespace resque::cli
