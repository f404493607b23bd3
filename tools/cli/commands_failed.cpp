// failed list|show|retry|remove|clear.
#include <iostream>
#include <memory>

#include "admin.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace resque::cli {

namespace {

struct FailedArgs {
  long long start = 0, count = 50;
  FailedFilter filter;
  long long index = -1;
  bool all = false, yes = false;
};

void list(Context& ctx, const FailedArgs& a) {
  if (a.start < 0 || a.count < 0) throw UsageError("--start and --count must not be negative");
  Queue& q = ctx.queue();
  const long long total = q.failed_count();
  const auto page = failed_page(q, a.filter, a.start, a.count);
  if (ctx.json) {
    Json entries = Json::array();
    for (const auto& v : page) entries.push_back(failure_json(v, false));
    return print_json(std::cout, {{"total", total}, {"entries", entries}});
  }
  std::cout << total << " failed job" << (total == 1 ? "" : "s");
  if (!page.empty())
    std::cout << "; showing " << page.size() << (a.filter.empty() ? "" : " matching") << " from #"
              << page.front().index << " (failed show I for the backtrace)";
  std::cout << "\n";
  if (page.empty()) return;
  const std::int64_t now = ctx.now();
  Table t{{"#", "FAILED AT", "QUEUE", "CLASS", "EXCEPTION", "ERROR"}, {}};
  for (const auto& v : page)
    t.add({std::to_string(v.index),
           v.failed_at ? time_and_age(*v.failed_at, now) : v.failed_at_text, v.queue, v.klass,
           v.exception, safe_text(v.error, 60) + (v.retried_at ? " (retried)" : "")});
  t.print(std::cout);
}

void show(Context& ctx, long long index) {
  const FailureView v = failed_at_index(ctx.queue(), index);
  if (ctx.json) return print_json(std::cout, failure_json(v, true));
  const std::int64_t now = ctx.now();
  Table t{{"FIELD", "VALUE"}, {}};
  t.add({"index", std::to_string(v.index)});
  t.add({"failed at", v.failed_at ? time_and_age(*v.failed_at, now) : v.failed_at_text});
  if (v.retried_at) t.add({"retried at", time_and_age(*v.retried_at, now)});
  t.add({"queue", v.queue});
  t.add({"class", v.klass});
  t.add({"args", brief_json(v.args, 0)});
  t.add({"exception", v.exception});
  t.add({"error", v.error});
  t.add({"worker", v.worker});
  t.print(std::cout);
  if (!v.entry.is_object()) std::cout << "stored text: " << safe_text(v.raw, 2000) << "\n";
  if (!v.backtrace.empty()) {
    std::cout << "backtrace:\n";
    for (const auto& line : v.backtrace) std::cout << "  " << safe_text(line) << "\n";
  }
}

void one_or_all(const FailedArgs& a, const char* cmd) {
  if (a.all == (a.index >= 0))
    throw UsageError(std::string("failed ") + cmd + " takes an index or --all (one of them)");
}

void retry(Context& ctx, const FailedArgs& a) {
  one_or_all(a, "retry");
  Queue& q = ctx.queue();
  if (a.all) {
    const long long total = q.failed_count();
    require_yes(a.yes, "failed retry --all requeues all " + std::to_string(total) + " failed jobs");
    const long long n = q.retry_all_failed();
    if (ctx.json) return print_json(std::cout, {{"retried", n}});
    std::cout << "requeued " << n << " failed jobs (the entries stay, marked retried)\n";
    return;
  }
  const FailureView v = failed_at_index(q, a.index);
  q.retry_failed(a.index);
  if (ctx.json) return print_json(std::cout, {{"retried", 1}, {"index", a.index}});
  std::cout << "requeued " << safe_text(v.klass) << " on " << safe_text(v.queue)
            << " (the entry stays, marked retried)\n";
}

void clear_all(Context& ctx, bool yes, const char* what) {
  Queue& q = ctx.queue();
  const long long total = q.failed_count();
  require_yes(yes, std::string(what) + " removes all " + std::to_string(total) + " failed entries");
  q.clear_failed();
  if (ctx.json) return print_json(std::cout, {{"removed", total}});
  std::cout << "removed " << total << " failed entries\n";
}

void remove(Context& ctx, const FailedArgs& a) {
  one_or_all(a, "remove");
  if (a.all) return clear_all(ctx, a.yes, "failed remove --all");
  if (!ctx.queue().remove_failed(a.index))
    throw NotFound("no failed entry at index " + std::to_string(a.index));
  if (ctx.json) return print_json(std::cout, {{"removed", 1}, {"index", a.index}});
  std::cout << "removed failed entry #" << a.index << "\n";
}

}  // namespace

void add_failed_commands(CLI::App& app, Context& ctx) {
  auto* f = app.add_subcommand("failed", "The failed list (any writer's records)");
  f->require_subcommand(1);
  auto a = std::make_shared<FailedArgs>();
  auto* ls = f->add_subcommand("list", "Failed jobs, oldest first, optionally filtered");
  ls->add_option("--start", a->start, "first list index to look at")->capture_default_str();
  ls->add_option("--count", a->count, "entries to show (0 = all)")->capture_default_str();
  ls->add_option("--class", a->filter.klass, "only this job class");
  ls->add_option("--queue", a->filter.queue, "only this queue");
  ls->add_option("--exception", a->filter.exception, "only this exception class");
  ls->callback([&ctx, a] { list(ctx, *a); });
  auto* sh = f->add_subcommand("show", "One failure with its backtrace");
  sh->add_option("I", a->index, "list index")->required()->check(CLI::NonNegativeNumber);
  sh->callback([&ctx, a] { show(ctx, a->index); });
  auto* rt = f->add_subcommand(
      "retry",
      "Requeue a failed job (Ruby's requeue: the entry stays, marked retried); --all "
      "requeues every one (needs --yes)");
  rt->add_option("I", a->index, "list index")->check(CLI::NonNegativeNumber);
  rt->add_flag("--all", a->all, "every failed job");
  rt->add_flag("--yes", a->yes, "confirm --all");
  rt->callback([&ctx, a] { retry(ctx, *a); });
  auto* rm =
      f->add_subcommand("remove", "Remove a failure entry; --all removes every one (needs --yes)");
  rm->add_option("I", a->index, "list index")->check(CLI::NonNegativeNumber);
  rm->add_flag("--all", a->all, "every entry");
  rm->add_flag("--yes", a->yes, "confirm --all");
  rm->callback([&ctx, a] { remove(ctx, *a); });
  auto* cl = f->add_subcommand("clear", "Remove every failure entry (needs --yes)");
  cl->add_flag("--yes", a->yes, "really remove them");
  cl->callback([&ctx, a] { clear_all(ctx, a->yes, "failed clear"); });
}

}  // namespace resque::cli
