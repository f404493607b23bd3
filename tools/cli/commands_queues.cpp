// stats, queues, queue show|clear|delete, job delete, enqueue.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include "admin.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace resque::cli {

Json parse_args_json(const std::string& text) {
  if (text.empty()) return Json::array();
  Json args;
  try {
    args = decode_json(text);
  } catch (const EncodingError& e) {
    throw UsageError(std::string("ARGS_JSON: ") + e.what());
  }
  if (!args.is_array()) throw UsageError("ARGS_JSON must be a JSON array, e.g. '[1,\"x\"]'");
  return args;
}

void require_yes(bool yes, const std::string& what) {
  if (!yes) throw UsageError(what + "; add --yes to do it");
}

namespace {

bool queue_known(Queue& q, const std::string& name) {
  const auto all = q.queues();
  return std::find(all.begin(), all.end(), name) != all.end();
}

void stats(Context& ctx) {
  const Json o = overview_json(ctx.queue());
  if (ctx.json) return print_json(std::cout, o);
  auto n = [&](const char* k) { return std::to_string(o[k].get<long long>()); };
  Table t{{"STAT", "VALUE"}, {}};
  t.add({"processed", n("processed")});
  t.add({"failed", n("failed")});
  t.add({"pending", n("pending") + " jobs in " + n("queues") + " queues"});
  t.add({"working", n("working") + " of " + n("workers") + " workers"});
  t.add({"failed entries", n("failed_entries")});
  t.add({"delayed", n("delayed_jobs") + " jobs at " + n("delayed_timestamps") + " timestamps"});
  t.add({"paused", o["paused"].get<bool>() ? "yes (pause-all-workers is set)" : "no"});
  for (const auto& [k, v] : o["counters"].items())
    if (k != "processed" && k != "failed") t.add({k, std::to_string(v.get<long long>())});
  t.print(std::cout);
}

void queues(Context& ctx) {
  Queue& q = ctx.queue();
  Json out = Json::array();
  Table t{{"QUEUE", "JOBS"}, {}};
  for (const auto& name : q.queues()) {
    const long long n = q.length(name);
    out.push_back({{"name", name}, {"length", n}});
    t.add({name, std::to_string(n)});
  }
  if (ctx.json) return print_json(std::cout, out);
  if (t.rows.empty()) {
    std::cout << "no queues\n";
    return;
  }
  t.print(std::cout);
}

struct PageArgs {
  std::string queue;
  long long start = 0, count = 50;
};

void queue_show(Context& ctx, const PageArgs& a) {
  Queue& q = ctx.queue();
  if (a.start < 0 || a.count < 0) throw UsageError("--start and --count must not be negative");
  const long long len = q.length(a.queue);
  if (len == 0 && !queue_known(q, a.queue)) throw NotFound("no queue named '" + a.queue + "'");
  const auto jobs =
      a.count == 0 ? std::vector<Job>{} : q.queued(a.queue, a.start, a.start + a.count - 1);
  Json out = {{"queue", a.queue}, {"length", len}, {"start", a.start}, {"jobs", Json::array()}};
  Table t{{"#", "CLASS", "ARGS"}, {}};
  long long i = a.start;
  for (const auto& j : jobs) {
    Json row = {
        {"index", i}, {"class", j.klass.empty() ? Json() : Json(j.klass)}, {"args", j.args}};
    if (j.klass.empty() && j.extra.contains("raw")) row["raw"] = j.extra["raw"];
    out["jobs"].push_back(row);
    t.add({std::to_string(i), j.klass.empty() ? "(unreadable)" : j.klass,
           j.klass.empty() && j.extra.contains("raw")
               ? safe_text(j.extra["raw"].get<std::string>(), 60)
               : brief_json(j.args, 80)});
    ++i;
  }
  if (ctx.json) return print_json(std::cout, out);
  std::cout << "queue " << safe_text(a.queue) << ": " << len << " jobs";
  if (!jobs.empty())
    std::cout << ", showing " << a.start + 1 << "-"
              << a.start + static_cast<long long>(jobs.size());
  std::cout << "\n";
  if (!jobs.empty()) t.print(std::cout);
}

void queue_clear(Context& ctx, const std::string& name, bool yes, bool remove) {
  Queue& q = ctx.queue();
  const long long len = q.length(name);
  if (len == 0 && !queue_known(q, name)) throw NotFound("no queue named '" + name + "'");
  require_yes(yes, std::string(remove ? "queue delete" : "queue clear") + " removes all " +
                       std::to_string(len) + " jobs of '" + name + "'");
  long long removed = len;
  if (remove)
    q.del_queue(name);
  else
    removed = clear_queue(q, name);
  if (ctx.json)
    return print_json(std::cout, {{"queue", name}, {"removed", removed}, {"deleted", remove}});
  std::cout << (remove ? "deleted queue " : "cleared queue ") << safe_text(name) << " (" << removed
            << " jobs removed)\n";
}

struct JobArgs {
  std::string queue, klass, args;
  std::string at;
  long long in = -1;
  bool by_value = false;
};

void job_delete(Context& ctx, const JobArgs& a) {
  Queue& q = ctx.queue();
  Queue::DelOptions o;
  o.match_by_value = a.by_value;
  const long long n = a.args.empty() ? q.del_by_class(a.queue, a.klass)
                                     : q.del(a.queue, a.klass, parse_args_json(a.args), o);
  if (n == 0) throw NotFound("no matching job in queue '" + a.queue + "'");
  if (ctx.json) return print_json(std::cout, {{"queue", a.queue}, {"removed", n}});
  std::cout << "removed " << n << " job" << (n == 1 ? "" : "s") << " from " << safe_text(a.queue)
            << "\n";
}

void enqueue(Context& ctx, const JobArgs& a) {
  const Json args = parse_args_json(a.args);
  Queue& q = ctx.queue();
  Json out = {{"queue", a.queue}, {"class", a.klass}, {"args", args}, {"at", nullptr}};
  if (!a.at.empty() || a.in >= 0) {
    std::int64_t when = 0;
    if (!a.at.empty()) {
      const auto t = parse_time(a.at);
      if (!t) throw UsageError("--at: '" + a.at + "' is neither epoch seconds nor an ISO time");
      when = *t;
    } else {
      when = ctx.now() + a.in;
    }
    q.enqueue_at(std::chrono::system_clock::time_point(std::chrono::seconds(when)), a.queue,
                 a.klass, args);
    out["at"] = when;
    if (ctx.json) return print_json(std::cout, out);
    std::cout << "scheduled " << safe_text(a.klass) << " on " << safe_text(a.queue) << " for "
              << time_and_age(when, ctx.now()) << "\n";
    return;
  }
  if (!q.enqueue(a.queue, a.klass, args)) throw JobError("refused");  // no hooks: cannot happen
  if (ctx.json) return print_json(std::cout, out);
  std::cout << "enqueued " << safe_text(a.klass) << " on " << safe_text(a.queue) << "\n";
}

}  // namespace

void add_queue_commands(CLI::App& app, Context& ctx) {
  app.add_subcommand("stats", "Counters and totals (processed, failed, pending, workers, ...)")
      ->callback([&ctx] { stats(ctx); });
  app.add_subcommand("queues", "Queue names and their lengths")->callback([&ctx] { queues(ctx); });

  auto* queue = app.add_subcommand("queue", "Show, clear or delete one queue");
  queue->require_subcommand(1);
  auto page = std::make_shared<PageArgs>();
  auto* show = queue->add_subcommand("show", "Jobs in a queue, oldest first");
  show->add_option("Q", page->queue, "queue name")->required();
  show->add_option("--start", page->start, "first job (0 = oldest)")->capture_default_str();
  show->add_option("--count", page->count, "jobs to show")->capture_default_str();
  show->callback([&ctx, page] { queue_show(ctx, *page); });
  auto clear_name = std::make_shared<std::string>();
  auto clear_yes = std::make_shared<bool>(false);
  auto* clear = queue->add_subcommand("clear", "Remove every job of a queue (needs --yes)");
  clear->add_option("Q", *clear_name, "queue name")->required();
  clear->add_flag("--yes", *clear_yes, "really remove them");
  clear->callback(
      [&ctx, clear_name, clear_yes] { queue_clear(ctx, *clear_name, *clear_yes, false); });
  auto del_name = std::make_shared<std::string>();
  auto del_yes = std::make_shared<bool>(false);
  auto* del = queue->add_subcommand("delete", "Remove a queue and its jobs (needs --yes)");
  del->add_option("Q", *del_name, "queue name")->required();
  del->add_flag("--yes", *del_yes, "really remove it");
  del->callback([&ctx, del_name, del_yes] { queue_clear(ctx, *del_name, *del_yes, true); });

  auto* job = app.add_subcommand("job", "Remove queued jobs");
  job->require_subcommand(1);
  auto ja = std::make_shared<JobArgs>();
  auto* jdel = job->add_subcommand(
      "delete",
      "Remove the jobs of CLASS with these args from a queue (every job of CLASS when "
      "ARGS_JSON is omitted): the bytes Ruby, node and resque-cpp write, or any encoding "
      "with --by-value");
  jdel->add_option("Q", ja->queue, "queue name")->required();
  jdel->add_option("CLASS", ja->klass, "job class")->required();
  jdel->add_option("ARGS_JSON", ja->args, "arguments as a JSON array");
  jdel->add_flag("--by-value", ja->by_value,
                 "also match other encodings of the same value (reads the whole queue)");
  jdel->callback([&ctx, ja] { job_delete(ctx, *ja); });

  auto ea = std::make_shared<JobArgs>();
  auto* enq = app.add_subcommand(
      "enqueue",
      "Enqueue a job, now or later. The job class's enqueue plugins (locks, hooks) cannot run "
      "here because resque-cli does not have the class's code: enqueue from the application "
      "when they matter");
  enq->add_option("Q", ea->queue, "queue name")->required();
  enq->add_option("CLASS", ea->klass, "job class")->required();
  enq->add_option("ARGS_JSON", ea->args, "arguments as a JSON array (default [])");
  auto* at = enq->add_option("--at", ea->at, "run at this time (epoch seconds or ISO 8601)");
  enq->add_option("--in", ea->in, "run this many seconds from now")
      ->excludes(at)
      ->check(CLI::NonNegativeNumber);
  enq->callback([&ctx, ea] { enqueue(ctx, *ea); });
}

}  // namespace resque::cli
