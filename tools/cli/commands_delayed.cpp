// delayed list|remove|run-now, schedules list|fire|remove.
#include <iostream>
#include <memory>

#include "admin.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "resque/scheduler.hpp"

namespace resque::cli {

namespace {

void delayed_list(Context& ctx) {
  Queue& q = ctx.queue();
  const std::int64_t now = ctx.now();
  Json out = Json::array();
  Table t{{"AT", "QUEUE", "CLASS", "ARGS"}, {}};
  for (const auto& [ts, jobs] : q.all_delayed())
    for (const auto& j : jobs) {
      out.push_back({{"timestamp", ts}, {"queue", j.queue}, {"class", j.klass}, {"args", j.args}});
      t.add({time_and_age(ts, now), j.queue, j.klass, brief_json(j.args)});
    }
  if (ctx.json) return print_json(std::cout, out);
  if (t.rows.empty()) {
    std::cout << "no delayed jobs\n";
    return;
  }
  t.print(std::cout);
}

struct DelayedArgs {
  std::string queue, klass, args;
  long long timestamp = 0;
};

void delayed_remove(Context& ctx, const DelayedArgs& a) {
  const auto from = ctx.queue().del_delayed(a.queue, a.klass, parse_args_json(a.args));
  if (from.empty()) throw NotFound("no such delayed job");
  if (ctx.json) return print_json(std::cout, {{"removed_from", from}});
  for (auto ts : from) std::cout << "removed the job delayed until " << utc_time(ts) << "\n";
}

void delayed_run_now(Context& ctx, long long ts) {
  const std::size_t n = run_delayed_now(ctx.queue(), ts);
  if (n == 0) throw NotFound("no delayed job at timestamp " + std::to_string(ts));
  if (ctx.json) return print_json(std::cout, {{"timestamp", ts}, {"enqueued", n}});
  std::cout << "enqueued " << n << " job" << (n == 1 ? "" : "s") << " delayed until "
            << utc_time(ts) << "\n";
}

std::string field(const Json& c, const char* name) {
  if (!c.contains(name) || c[name].is_null()) return "";
  return c[name].is_string() ? c[name].get<std::string>() : c[name].dump();
}

void schedules_list(Context& ctx) {
  const auto all = persisted_schedules(ctx.queue());
  if (ctx.json) {
    Json out = Json::array();
    for (const auto& [name, config] : all) {
      Json row = {{"name", name}};
      for (const auto& [k, v] : config.items()) row[k] = v;
      out.push_back(row);
    }
    return print_json(std::cout, out);
  }
  if (all.empty()) {
    std::cout << "no persisted schedules\n";
    return;
  }
  const std::int64_t now = ctx.now();
  Table t{{"NAME", "WHEN", "QUEUE", "CLASS", "ARGS", "LAST ENQUEUED"}, {}};
  for (const auto& [name, c] : all) {
    const std::string when = c.contains("cron")    ? "cron " + field(c, "cron")
                             : c.contains("every") ? "every " + field(c, "every")
                                                   : "?";
    std::string last = "never";
    if (c.contains("last_enqueued_at"))
      last = c["last_enqueued_at"].is_number()
                 ? time_and_age(c["last_enqueued_at"].get<std::int64_t>(), now)
                 : field(c, "last_enqueued_at");
    t.add({name, when, field(c, "queue"), c.contains("class") ? field(c, "class") : name,
           c.contains("args") ? brief_json(c["args"]) : "[]", last});
  }
  t.print(std::cout);
}

void schedules_fire(Context& ctx, const std::string& name) {
  const Job job = fire_schedule(ctx.queue(), name);
  if (ctx.json)
    return print_json(
        std::cout,
        {{"name", name}, {"queue", job.queue}, {"class", job.klass}, {"args", job.args}});
  std::cout << "enqueued " << safe_text(job.klass) << " on " << safe_text(job.queue)
            << " (schedule " << safe_text(name) << ")\n";
}

void schedules_remove(Context& ctx, const std::string& name) {
  const auto all = persisted_schedules(ctx.queue());
  if (all.find(name) == all.end()) throw NotFound("no schedule named '" + name + "'");
  // The library's own removal: HDEL persistent_schedules and SADD schedules_changed, so a Ruby
  // scheduler reloads too.
  Scheduler(ctx.options()).remove_schedule(name);
  if (ctx.json) return print_json(std::cout, {{"removed", name}});
  std::cout << "removed schedule " << safe_text(name) << "\n";
}

}  // namespace

void add_delayed_commands(CLI::App& app, Context& ctx) {
  auto* delayed = app.add_subcommand("delayed", "Delayed jobs (resque-scheduler's delayed queue)");
  delayed->require_subcommand(1);
  delayed->add_subcommand("list", "Every delayed job, soonest first")->callback([&ctx] {
    delayed_list(ctx);
  });
  auto da = std::make_shared<DelayedArgs>();
  auto* rm = delayed->add_subcommand("remove", "Remove a delayed job wherever it is scheduled");
  rm->add_option("Q", da->queue, "queue name")->required();
  rm->add_option("CLASS", da->klass, "job class")->required();
  rm->add_option("ARGS_JSON", da->args, "arguments as a JSON array (default [])");
  rm->callback([&ctx, da] { delayed_remove(ctx, *da); });
  auto* now = delayed->add_subcommand("run-now", "Enqueue the jobs delayed at TIMESTAMP now");
  now->add_option("TIMESTAMP", da->timestamp, "epoch seconds, as `delayed list --json` shows")
      ->required();
  now->callback([&ctx, da] { delayed_run_now(ctx, da->timestamp); });

  auto* sched = app.add_subcommand(
      "schedules", "Recurring schedules persisted in Redis (resque-scheduler's format)");
  sched->require_subcommand(1);
  sched->add_subcommand("list", "Persisted schedules and when each last fired")->callback([&ctx] {
    schedules_list(ctx);
  });
  auto name = std::make_shared<std::string>();
  auto* fire = sched->add_subcommand("fire", "Enqueue a schedule's job now");
  fire->add_option("NAME", *name, "schedule name")->required();
  fire->callback([&ctx, name] { schedules_fire(ctx, *name); });
  auto* srm = sched->add_subcommand("remove", "Remove a persisted schedule");
  srm->add_option("NAME", *name, "schedule name")->required();
  srm->callback([&ctx, name] { schedules_remove(ctx, *name); });
}

}  // namespace resque::cli
