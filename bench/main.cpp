// resque_bench: starts its own redis-server on a free port, measures resque-cpp and
// node-resque in the same run, prints a table (median of the repetitions, ratios, targets) and
// optionally writes JSON. See bench/README.md.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>

#include "bench.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/keys.hpp"
#include "resque/version.hpp"

using namespace resque;
using namespace resque::bench;

namespace {

// ---------------------------------------------------------------- figures

struct Figure {
  std::string id, label, unit;
  bool lower_better = false;
  std::vector<double> runs;
  std::string na;  // why there is no value
  std::optional<double> value() const {
    if (runs.empty()) return std::nullopt;
    return median(runs);
  }
};

std::vector<Figure> figures;
std::map<std::string, std::size_t> figure_index;

void define(const std::string& id, const std::string& label, const std::string& unit,
            bool lower_better = false) {
  figure_index[id] = figures.size();
  figures.push_back(Figure{id, label, unit, lower_better, {}, {}});
}

Figure& fig(const std::string& id) {
  auto it = figure_index.find(id);
  if (it == figure_index.end()) throw std::logic_error("unknown figure " + id);
  return figures[it->second];
}

std::optional<double> val(const std::string& id) {
  return fig(id).value();
}

void define_figures() {
  define("redis_ping", "Redis: PING round trips, one connection", "round trips/s");
  define("redis_evalsha", "Redis: EVALSHA 'return 1' round trips, one connection", "round trips/s");
  define("redis_rpush_pipelined", "Redis: RPUSH pipelined 1,000 at a time", "commands/s");
  define("enqueue_one", "Enqueue, one job per call", "jobs/s");
  define("enqueue_batch", "Enqueue, enqueue_batch", "jobs/s");
  define("node_enqueue", "node-resque Queue#enqueue, one job per call", "jobs/s");
  for (const char* lock : {"", "queue_lock_", "job_lock_"}) {
    for (int t : {1, 4, 8})
      define(fmt::format("{}worker_{}", lock, t),
             fmt::format("Worker throughput, {} thread{}{}", t, t == 1 ? "" : "s (pool)",
                         *lock == 'q'   ? ", QueueLock"
                         : *lock == 'j' ? ", JobLock"
                                        : ""),
             "jobs/s");
  }
  define("node_worker", "node-resque Worker throughput", "jobs/s");
  define("node_multiworker_8", "node-resque MultiWorker(8) throughput, all 8 running", "jobs/s");
  define("node_multiworker_8_overall", "node-resque MultiWorker(8) throughput from start()",
         "jobs/s");
  // Worker (and enqueue) jobs/s divided by the PING rate measured just before and just after
  // that very run: on a shared machine the Redis limit moves between repetitions, and pairing
  // cancels most of that out. The targets use these.
  for (const char* id :
       {"enqueue_one", "worker_1", "worker_4", "worker_8", "queue_lock_worker_1",
        "queue_lock_worker_4", "queue_lock_worker_8", "job_lock_worker_1", "job_lock_worker_4",
        "job_lock_worker_8", "node_enqueue", "node_worker", "node_multiworker_8"})
    define(std::string("per_rt_") + id,
           std::string(id) + " / PING round trips (paired, same repetition)", "ratio");
  for (const auto& [id, what] : std::vector<std::pair<std::string, std::string>>{
           {"ping", "PING round trip"},
           {"enqueue_one", "enqueue, one job per call"},
           {"worker_1", "job, 1 worker thread"},
           {"worker_8", "job, pool of 8"},
           {"node_enqueue", "node-resque enqueue"},
           {"node_worker", "job, node-resque Worker"},
           {"node_multiworker_8", "job, node-resque MultiWorker(8)"}}) {
    define("cost_" + id + "_client", "Client CPU per " + what, "us", true);
    define("cost_" + id + "_redis", "redis-server CPU per " + what, "us", true);
  }
  define("latency_p50", "Pickup latency p50", "ms", true);
  define("latency_p99", "Pickup latency p99", "ms", true);
  define("node_latency_default_p50", "node-resque pickup p50, default timeout (5 s)", "ms", true);
  define("node_latency_default_p99", "node-resque pickup p99, default timeout (5 s)", "ms", true);
  define("node_latency_100ms_p50", "node-resque pickup p50, timeout 100 ms", "ms", true);
  define("node_latency_100ms_p99", "node-resque pickup p99, timeout 100 ms", "ms", true);
  define("rss_worker_1", "Peak RSS, process running 1 worker thread", "MiB", true);
  define("rss_pool_8", "Peak RSS, process running an 8-thread pool", "MiB", true);
  define("idle_cpu_pool_8", "CPU of an idle 8-thread pool", "% of a core", true);
  define("node_rss_worker", "Peak RSS, node-resque Worker process", "MiB", true);
  define("node_rss_multiworker_8", "Peak RSS, node-resque MultiWorker(8) process", "MiB", true);
}

// ---------------------------------------------------------------- output helpers

std::string grouped(double v) {
  const auto n = static_cast<long long>(std::llround(v));
  std::string s = std::to_string(n < 0 ? -n : n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return n < 0 ? "-" + s : s;
}

std::string show(const std::optional<double>& v, const std::string& unit) {
  if (!v) return "-";
  if (unit == "ms") return *v < 10 ? fmt::format("{:.3f} ms", *v) : fmt::format("{:.1f} ms", *v);
  if (unit == "MiB") return fmt::format("{:.1f} MiB", *v);
  if (unit == "% of a core") return fmt::format("{:.2f} %", *v);
  if (unit == "ratio") return fmt::format("{:.2f}", *v);
  if (unit == "us") return fmt::format("{:.1f} us", *v);
  return grouped(*v) + "/s";
}

std::string show_fig(const std::string& id) {
  const Figure& f = fig(id);
  if (!f.runs.empty()) return show(f.value(), f.unit);
  return f.na.empty() ? "-" : f.na;
}

std::optional<double> ratio(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b || *b == 0) return std::nullopt;
  return *a / *b;
}

std::string show_ratio(const std::optional<double>& r) {
  if (!r) return "-";
  if (*r >= 10) return fmt::format("{:.0f}x", *r);
  if (*r >= 0.1) return fmt::format("{:.2f}x", *r);
  return fmt::format("{:.2g}x", *r);  // latencies and memory: small is good
}

void progress(const std::string& s) {
  fprintf(stderr, "%s\n", s.c_str());
}

template <class F>
void measure(const std::string& id, F&& f) {
  try {
    const double v = f();
    fig(id).runs.push_back(v);
    progress(fmt::format("  {:<34} {}", id, show(v, fig(id).unit)));
  } catch (const std::exception& e) {
    fig(id).na = "error";
    progress(fmt::format("  {:<34} ERROR: {}", id, e.what()));
  }
}

/// measure() bracketed by two short PING-rate measurements; records id / mean(PING rates) as
/// the figure "per_rt_<id>".
template <class F>
void measure_paired(const ConnectionOptions& o, const Settings& s, const std::string& id, F&& f) {
  const std::size_t n = fig(id).runs.size();
  double before = 0;
  try {
    before = redis_ping_rate(o, s.pair_seconds);
  } catch (const std::exception&) {
  }
  measure(id, std::forward<F>(f));
  if (fig(id).runs.size() == n || before <= 0) return;
  try {
    const double rt = (before + redis_ping_rate(o, s.pair_seconds)) / 2;
    fig("per_rt_" + id).runs.push_back(fig(id).runs.back() / rt);
    progress(fmt::format("  {:<34} {:.2f} (PING {} around it)", "  / round trips",
                         fig(id).runs.back() / rt, show(rt, "round trips/s")));
  } catch (const std::exception&) {
  }
}

void record_cost(const std::string& id, const Cost& c) {
  fig("cost_" + id + "_client").runs.push_back(c.client_us);
  fig("cost_" + id + "_redis").runs.push_back(c.redis_us);
}

// ---------------------------------------------------------------- targets

struct Target {
  std::string text;
  std::optional<double> value;
  double required;
  bool at_least;     // value >= required, else value <= required
  std::string unit;  // "x" ratio, "%" of something, or a figure unit
};

std::vector<Target> targets() {
  const auto rt = val("redis_ping");
  std::vector<Target> t;
  (void)rt;
  t.push_back({"One worker thread >= 60 % of single-connection round trips/s",
               val("per_rt_worker_1"), 0.60, true, "share"});
  t.push_back({"One worker thread >= 3x node-resque's Worker",
               ratio(val("worker_1"), val("node_worker")), 3, true, "x"});
  t.push_back({"Pool of 8 threads >= 4x node-resque's MultiWorker(8)",
               ratio(val("worker_8"), val("node_multiworker_8")), 4, true, "x"});
  t.push_back({"Enqueue, one call >= 80 % of round trips/s", val("per_rt_enqueue_one"), 0.80, true,
               "share"});
  t.push_back({"enqueue_batch >= 250,000 jobs/s", val("enqueue_batch"), 250000, true, "jobs/s"});
  t.push_back({"Pickup latency p50 <= 1 ms", val("latency_p50"), 1, false, "ms"});
  t.push_back({"Pickup latency p99 <= 5 ms", val("latency_p99"), 5, false, "ms"});
  t.push_back({"8-thread pool peak RSS <= 16 MiB", val("rss_pool_8"), 16, false, "MiB"});
  t.push_back({"Idle 8-thread pool ~0 % CPU (<= 1 % of a core)", val("idle_cpu_pool_8"), 1, false,
               "% of a core"});
  return t;
}

std::string show_target_value(const Target& t, const std::optional<double>& v) {
  if (!v) return "-";
  if (t.unit == "share") return fmt::format("{:.0f} %", *v * 100);
  if (t.unit == "x") return fmt::format("{:.2f}x", *v);
  return show(v, t.unit);
}

std::optional<bool> passed(const Target& t) {
  if (!t.value) return std::nullopt;
  return t.at_least ? *t.value >= t.required : *t.value <= t.required;
}

// ---------------------------------------------------------------- table

struct Row {
  std::string label, ours, node;
};

void print_table(FILE* out, const Settings& s) {
  const std::vector<std::pair<std::string, std::vector<Row>>> sections = {
      {"Redis limit (measured here)",
       {{"PING round trips, one connection", "redis_ping", ""},
        {"EVALSHA 'return 1' round trips, one connection", "redis_evalsha", ""},
        {"RPUSH, pipelined 1,000 per round trip", "redis_rpush_pipelined", ""}}},
      {"Enqueue",
       {{"One job per call", "enqueue_one", "node_enqueue"},
        {"enqueue_batch", "enqueue_batch", ""}}},
      {"Worker throughput (no-op jobs, pre-filled queue)",
       {{"1 worker thread (node: one Worker)", "worker_1", "node_worker"},
        {"Pool of 4 threads", "worker_4", ""},
        {"Pool of 8 threads (node: MultiWorker of 8)", "worker_8", "node_multiworker_8"},
        {"  node MultiWorker(8) counted from start()", "", "node_multiworker_8_overall"},
        {"1 thread, QueueLock", "queue_lock_worker_1", ""},
        {"Pool of 4, QueueLock", "queue_lock_worker_4", ""},
        {"Pool of 8, QueueLock", "queue_lock_worker_8", ""},
        {"1 thread, JobLock", "job_lock_worker_1", ""},
        {"Pool of 4, JobLock", "job_lock_worker_4", ""},
        {"Pool of 8, JobLock", "job_lock_worker_8", ""}}},
      {"Pickup latency (idle worker, enqueue -> perform start)",
       {{"p50 (node: default timeout 5 s)", "latency_p50", "node_latency_default_p50"},
        {"p99 (node: default timeout 5 s)", "latency_p99", "node_latency_default_p99"},
        {"p50 (node: timeout 100 ms)", "latency_p50", "node_latency_100ms_p50"},
        {"p99 (node: timeout 100 ms)", "latency_p99", "node_latency_100ms_p99"}}},
      {"Memory and idle CPU",
       {{"Peak RSS, 1 worker thread (node: Worker)", "rss_worker_1", "node_rss_worker"},
        {"Peak RSS, pool of 8 (node: MultiWorker of 8)", "rss_pool_8", "node_rss_multiworker_8"},
        {"CPU of an idle pool of 8 over " + std::to_string(s.idle_ms) + " ms", "idle_cpu_pool_8",
         ""}}},
  };
  auto line = [&](const std::string& a, const std::string& b, const std::string& c,
                  const std::string& d) {
    fprintf(out, "| %-58s | %-23s | %-23s | %-11s |\n", a.c_str(), b.c_str(), c.c_str(), d.c_str());
  };
  fprintf(out, "\nresque_bench: medians of %d repetition%s\n\n", s.repetitions,
          s.repetitions == 1 ? "" : "s");
  line("Figure", "resque-cpp", "node-resque 9.7.1", "ours / node");
  line(std::string(58, '-'), std::string(23, '-'), std::string(23, '-'), std::string(11, '-'));
  for (const auto& [title, rows] : sections) {
    line("**" + title + "**", "", "", "");
    for (const auto& r : rows) {
      const std::string ours = r.ours.empty() ? "" : show_fig(r.ours);
      const std::string node = r.node.empty() ? "" : show_fig(r.node);
      std::string rr;
      if (!r.ours.empty() && !r.node.empty()) rr = show_ratio(ratio(val(r.ours), val(r.node)));
      line(r.label, ours, node, rr);
    }
  }
  fprintf(out,
          "\nJobs/s per single-connection round trip/s: paired = median over repetitions of\n"
          "(figure / PING rate measured just before and after it); medians = ratio of the\n"
          "medians (PING %s).\n",
          show_fig("redis_ping").c_str());
  fprintf(out, "  %-34s %-8s %s\n", "", "paired", "medians");
  for (const auto& [id, label] : std::vector<std::pair<std::string, std::string>>{
           {"enqueue_one", "enqueue, one job per call"},
           {"worker_1", "1 worker thread"},
           {"worker_4", "pool of 4"},
           {"worker_8", "pool of 8"},
           {"queue_lock_worker_1", "1 thread, QueueLock"},
           {"job_lock_worker_1", "1 thread, JobLock"},
           {"node_enqueue", "node-resque enqueue"},
           {"node_worker", "node-resque Worker"},
           {"node_multiworker_8", "node-resque MultiWorker(8)"}}) {
    const auto paired = val("per_rt_" + id);
    const auto medians = ratio(val(id), val("redis_ping"));
    if (!paired && !medians) continue;
    fprintf(out, "  %-34s %-8s %s\n", label.c_str(),
            paired ? fmt::format("{:.2f}", *paired).c_str() : "-",
            medians ? fmt::format("{:.2f}", *medians).c_str() : "-");
  }
  fprintf(out,
          "\nCPU per operation, microseconds (time spent waiting for a CPU is not counted, so\n"
          "these move less than the rates on a shared machine; Redis = redis-server's CPU):\n");
  fprintf(out, "  %-34s %-9s %-9s %s\n", "", "client", "Redis", "Redis / Redis per PING");
  for (const auto& [id, label] : std::vector<std::pair<std::string, std::string>>{
           {"ping", "PING round trip"},
           {"enqueue_one", "enqueue, one job per call"},
           {"worker_1", "job, 1 worker thread"},
           {"worker_8", "job, pool of 8"},
           {"node_enqueue", "node-resque enqueue"},
           {"node_worker", "job, node-resque Worker"},
           {"node_multiworker_8", "job, node-resque MultiWorker(8)"}}) {
    const auto c = val("cost_" + id + "_client");
    const auto r = val("cost_" + id + "_redis");
    if (!c && !r) continue;
    const auto rel = ratio(r, val("cost_ping_redis"));
    fprintf(out, "  %-34s %-9s %-9s %s\n", label.c_str(),
            c ? fmt::format("{:.1f}", *c).c_str() : "-",
            r ? fmt::format("{:.1f}", *r).c_str() : "-",
            rel ? fmt::format("{:.1f}", *rel).c_str() : "-");
  }
  fprintf(out, "\nTargets (2-core machine, same run, medians):\n");
  for (const auto& t : targets()) {
    const auto p = passed(t);
    std::string verdict = !p ? "n/a" : *p ? "PASS" : "MISS";
    if (p && !*p) {
      const double by = t.at_least ? (1 - *t.value / t.required) : (*t.value / t.required - 1);
      verdict += fmt::format(" (by {:.0f} %)", by * 100);
    }
    fprintf(out, "  %-62s %-12s %s\n", t.text.c_str(), show_target_value(t, t.value).c_str(),
            verdict.c_str());
  }
}

// ---------------------------------------------------------------- JSON

Json to_json(const Settings& s, const std::string& redis_version) {
  Json j = Json::object();
  j["benchmark"] = "resque_bench";
  j["resque_cpp_version"] = RESQUE_VERSION_STRING;
  {
    char buf[64];
    const std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    j["date"] = buf;
  }
  j["machine"] = {{"cores", std::thread::hardware_concurrency()},
                  {"redis_server", redis_version},
                  {"node", node_version()},
                  {"node_resque", "9.7.1"}};
  j["settings"] = {{"repetitions", s.repetitions},
                   {"jobs", s.jobs},
                   {"lock_jobs", s.lock_jobs},
                   {"enqueue_jobs", s.enqueue_jobs},
                   {"batch_jobs", s.batch_jobs},
                   {"latency_samples", s.latency_samples},
                   {"latency_gap_ms", {s.gap_min_ms, s.gap_max_ms}},
                   {"idle_ms", s.idle_ms},
                   {"node_jobs", s.node_jobs},
                   {"node_enqueue_jobs", s.node_enqueue_jobs},
                   {"node_default_latency_samples", s.node_default_samples},
                   {"node_100ms_latency_samples", s.node_fast_samples}};
  Json figs = Json::object();
  for (const auto& f : figures) {
    Json e = Json::object();
    e["label"] = f.label;
    e["unit"] = f.unit;
    if (f.runs.empty()) {
      e["median"] = nullptr;
      e["na"] = f.na.empty() ? "not measured" : f.na;
    } else {
      e["median"] = *f.value();
      e["runs"] = f.runs;
    }
    figs[f.id] = e;
  }
  j["figures"] = figs;
  auto opt = [](const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); };
  Json per_rt = Json::object();
  for (const char* id :
       {"worker_1", "worker_4", "worker_8", "queue_lock_worker_1", "queue_lock_worker_4",
        "queue_lock_worker_8", "job_lock_worker_1", "job_lock_worker_4", "job_lock_worker_8",
        "node_worker", "node_multiworker_8", "enqueue_one", "node_enqueue"})
    per_rt[id] = {{"paired", opt(val(std::string("per_rt_") + id))},
                  {"of_medians", opt(ratio(val(id), val("redis_ping")))}};
  Json vs_node = Json::object();
  for (const auto& [ours, node] :
       std::vector<std::pair<std::string, std::string>>{{"enqueue_one", "node_enqueue"},
                                                        {"worker_1", "node_worker"},
                                                        {"worker_8", "node_multiworker_8"},
                                                        {"latency_p50", "node_latency_default_p50"},
                                                        {"latency_p99", "node_latency_default_p99"},
                                                        {"latency_p50", "node_latency_100ms_p50"},
                                                        {"latency_p99", "node_latency_100ms_p99"},
                                                        {"rss_worker_1", "node_rss_worker"},
                                                        {"rss_pool_8", "node_rss_multiworker_8"}})
    vs_node[ours + "/" + node] = opt(ratio(val(ours), val(node)));
  j["ratios"] = {{"per_round_trip", per_rt}, {"ours_over_node", vs_node}};
  Json ts = Json::array();
  for (const auto& t : targets()) {
    const auto p = passed(t);
    ts.push_back({{"target", t.text},
                  {"value", opt(t.value)},
                  {"required", t.required},
                  {"pass", p ? Json(*p) : Json(nullptr)}});
  }
  j["targets"] = ts;
  return j;
}

// ---------------------------------------------------------------- running

void usage() {
  printf(
      "usage: resque_bench [options]\n"
      "  --json FILE              also write the figures as JSON\n"
      "  --reps N                 repetitions (median reported; default 3)\n"
      "  --quick                  1 repetition, small job counts (a smoke run, ~1 min)\n"
      "  --no-node                skip node-resque\n"
      "  --sections LIST          comma list of redis,enqueue,throughput,locks,latency,node\n"
      "  --jobs N                 jobs per throughput run (default 100000)\n"
      "  --lock-jobs N            jobs per QueueLock/JobLock run (default 30000)\n"
      "  --enqueue-jobs N         jobs enqueued one call each (default 20000)\n"
      "  --batch-jobs N           jobs in the enqueue_batch run (default 100000)\n"
      "  --latency-samples N      pickup-latency samples per repetition (default 200)\n"
      "  --idle-ms N              idle-pool CPU window (default 2000)\n"
      "  --redis-seconds X        seconds per Redis-limit figure (default 1)\n"
      "  --node-jobs N            jobs per node-resque throughput run (default 20000)\n"
      "  --node-enqueue-jobs N    jobs node-resque enqueues (default 10000)\n"
      "  --node-default-samples N node pickup samples with its 5 s timeout (default 8)\n"
      "  --node-fast-samples N    node pickup samples with a 100 ms timeout (default 50)\n"
      "  --node-scripts DIR       bench/node (default: the source tree's)\n"
      "  --node-modules DIR       node_modules holding node-resque (default:\n"
      "                           tests/interop/node/node_modules)\n"
      "  --verbose                print every child's raw result\n");
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t e = s.find(sep, pos);
    if (e == std::string::npos) e = s.size();
    if (e > pos) out.push_back(s.substr(pos, e - pos));
    pos = e + 1;
  }
  return out;
}

Settings parse(int argc, char** argv) {
  Settings s;
  s.node_scripts = RESQUE_BENCH_NODE_SCRIPTS;
  s.node_modules = RESQUE_BENCH_NODE_MODULES;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else if (a == "--json") {
      s.json_path = next();
    } else if (a == "--reps") {
      s.repetitions = std::max(1, std::stoi(next()));
    } else if (a == "--quick") {
      s.repetitions = 1;
      s.jobs = 20000;
      s.lock_jobs = 5000;
      s.enqueue_jobs = 5000;
      s.batch_jobs = 20000;
      s.redis_seconds = 0.3;
      s.pair_seconds = 0.1;
      s.latency_samples = 50;
      s.idle_ms = 1000;
      s.node_jobs = 5000;
      s.node_enqueue_jobs = 3000;
      s.node_default_samples = 3;
      s.node_fast_samples = 20;
    } else if (a == "--no-node") {
      s.node = false;
    } else if (a == "--sections") {
      s.sections = split(next(), ',');
    } else if (a == "--jobs") {
      s.jobs = std::stol(next());
    } else if (a == "--lock-jobs") {
      s.lock_jobs = std::stol(next());
    } else if (a == "--enqueue-jobs") {
      s.enqueue_jobs = std::stol(next());
    } else if (a == "--batch-jobs") {
      s.batch_jobs = std::stol(next());
    } else if (a == "--latency-samples") {
      s.latency_samples = std::stoi(next());
    } else if (a == "--idle-ms") {
      s.idle_ms = std::stoi(next());
    } else if (a == "--redis-seconds") {
      s.redis_seconds = std::stod(next());
    } else if (a == "--node-jobs") {
      s.node_jobs = std::stol(next());
    } else if (a == "--node-enqueue-jobs") {
      s.node_enqueue_jobs = std::stol(next());
    } else if (a == "--node-default-samples") {
      s.node_default_samples = std::stoi(next());
    } else if (a == "--node-fast-samples") {
      s.node_fast_samples = std::stoi(next());
    } else if (a == "--node-scripts") {
      s.node_scripts = next();
    } else if (a == "--node-modules") {
      s.node_modules = next();
    } else if (a == "--verbose") {
      s.verbose = true;
    } else {
      throw std::runtime_error("unknown option " + a + " (see --help)");
    }
  }
  if (!s.node) {
    std::vector<std::string> keep;
    for (const auto& x : s.sections)
      if (x != "node") keep.push_back(x);
    s.sections = keep;
  }
  return s;
}

void del_key(const ConnectionOptions& o, const std::string& key) {
  Connection c(o);
  c.command({"DEL", key});
}

// node's own CPU (process.cpuUsage over the timed part) and redis-server's over the run.
void node_cost(const std::string& id, const Json& r, double redis_s, long jobs) {
  if (!r.contains("cpu_us")) return;
  Cost c;
  c.client_us = r["cpu_us"].get<double>() / static_cast<double>(jobs);
  c.redis_us = redis_s / static_cast<double>(jobs) * 1e6;
  record_cost(id, c);
}

void run_node_rep(const Settings& s, const ConnectionOptions& o) {
  const Keys keys(o.key_namespace);
  measure_paired(o, s, "node_enqueue", [&] {
    del_key(o, keys.queue("bench_node_enqueue"));
    const double r0 = redis_cpu_seconds(o);
    auto c = node_start(
        s, o, "enqueue.js",
        {"--jobs", std::to_string(s.node_enqueue_jobs), "--queue", "bench_node_enqueue"});
    const Json r = c->result(std::chrono::seconds(60 + s.node_enqueue_jobs / 200));
    node_cost("node_enqueue", r, redis_cpu_seconds(o) - r0, s.node_enqueue_jobs);
    del_key(o, keys.queue("bench_node_enqueue"));
    return r.at("jobs_per_s").get<double>();
  });
  Json worker, multi;
  measure_paired(o, s, "node_worker", [&] {
    prefill(o, "bench_node_worker", s.node_jobs);
    const double r0 = redis_cpu_seconds(o);
    auto c = node_start(s, o, "worker.js",
                        {"--jobs", std::to_string(s.node_jobs), "--queue", "bench_node_worker"});
    worker = c->result(std::chrono::seconds(60 + s.node_jobs / 200));
    node_cost("node_worker", worker, redis_cpu_seconds(o) - r0, s.node_jobs);
    if (s.verbose) progress("  node: " + worker.dump());
    return worker.at("jobs_per_s").get<double>();
  });
  if (worker.contains("vmhwm_kb"))
    fig("node_rss_worker").runs.push_back(worker["vmhwm_kb"].get<double>() / 1024);
  measure_paired(o, s, "node_multiworker_8", [&] {
    prefill(o, "bench_node_multi", s.node_jobs);
    const double r0 = redis_cpu_seconds(o);
    auto c = node_start(
        s, o, "multiworker.js",
        {"--jobs", std::to_string(s.node_jobs), "--queue", "bench_node_multi", "--workers", "8"});
    multi = c->result(std::chrono::seconds(60 + s.node_jobs / 200));
    node_cost("node_multiworker_8", multi, redis_cpu_seconds(o) - r0, s.node_jobs);
    if (s.verbose) progress("  node: " + multi.dump());
    return multi.at("jobs_per_s").get<double>();
  });
  if (multi.contains("vmhwm_kb")) {
    fig("node_rss_multiworker_8").runs.push_back(multi["vmhwm_kb"].get<double>() / 1024);
    fig("node_multiworker_8_overall").runs.push_back(multi["jobs_per_s_overall"].get<double>());
  }
  try {
    del_key(o, keys.queue("bench_node_lat_fast"));
    auto c = node_start(s, o, "latency.js",
                        {"--queue", "bench_node_lat_fast", "--timeout", "100", "--samples",
                         std::to_string(s.node_fast_samples), "--gap-min",
                         std::to_string(s.gap_min_ms), "--gap-max", std::to_string(s.gap_max_ms)});
    const Json r = c->result(std::chrono::seconds(60));
    fig("node_latency_100ms_p50").runs.push_back(r.at("p50_ms").get<double>());
    fig("node_latency_100ms_p99").runs.push_back(r.at("p99_ms").get<double>());
    progress(fmt::format("  {:<34} p50 {:.1f} ms, p99 {:.1f} ms", "node_latency_100ms",
                         r["p50_ms"].get<double>(), r["p99_ms"].get<double>()));
  } catch (const std::exception& e) {
    fig("node_latency_100ms_p50").na = fig("node_latency_100ms_p99").na = "error";
    progress(std::string("  node_latency_100ms ERROR: ") + e.what());
  }
}

int bench_main(int argc, char** argv) {
  const Settings s = parse(argc, argv);
  define_figures();
  const double t_start = now_s();

  test::RedisServer server;
  ConnectionOptions o = server.options();
  std::string redis_version;
  {
    Connection c(o);
    const std::string info = c.command({"INFO", "server"}).string();
    const auto p = info.find("redis_version:");
    if (p != std::string::npos) redis_version = info.substr(p + 14, info.find('\r', p) - p - 14);
  }
  progress(fmt::format("resque_bench: redis-server {} on port {}, {} repetition(s)", redis_version,
                       o.port, s.repetitions));

  std::string node_na = s.section("node") ? node_unavailable(s) : "n/a (--no-node)";
  const bool node = node_na.empty();
  if (!node) {
    for (auto& f : figures)
      if (f.id.find("node_") != std::string::npos) f.na = node_na;
  }
  const std::string locks_na = locks_unavailable();
  if (!locks_na.empty() || !s.section("locks")) {
    for (auto& f : figures)
      if (f.id.find("lock_") != std::string::npos)
        f.na = locks_na.empty() ? "n/a (section off)" : locks_na;
  }

  // node's default-timeout pickup latency needs about one 5 s polling period per sample, so
  // its repetitions run in parallel, in the background of everything else (they sleep almost
  // all the time: one poll every 5 s and one enqueue every ~2.5 s).
  std::vector<std::unique_ptr<Child>> slow_latency;
  if (node) {
    for (int r = 0; r < s.repetitions; ++r) {
      const std::string q = "bench_node_lat_default_" + std::to_string(r);
      del_key(o, Keys(o.key_namespace).queue(q));
      slow_latency.push_back(node_start(
          s, o, "latency.js",
          {"--queue", q, "--timeout", "5000", "--samples", std::to_string(s.node_default_samples),
           "--gap-min", "1", "--gap-max", "5000"}));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // let node start up
  }

  for (int rep = 1; rep <= s.repetitions; ++rep) {
    progress(fmt::format("repetition {}/{}", rep, s.repetitions));
    if (s.section("redis")) {
      measure("redis_ping", [&] {
        Cost c;
        const double r = redis_ping_rate(o, s.redis_seconds, &c);
        record_cost("ping", c);
        return r;
      });
      measure("redis_evalsha", [&] { return redis_evalsha_rate(o, s.redis_seconds); });
      measure("redis_rpush_pipelined",
              [&] { return redis_pipelined_rpush_rate(o, s.redis_seconds); });
    }
    if (s.section("enqueue")) {
      measure_paired(o, s, "enqueue_one", [&] {
        Cost c;
        const double r = enqueue_one_rate(o, s.enqueue_jobs, &c);
        record_cost("enqueue_one", c);
        return r;
      });
      measure("enqueue_batch", [&] { return enqueue_batch_rate(o, s.batch_jobs); });
    }
    if (s.section("throughput")) {
      for (int t : {1, 4, 8}) {
        measure_paired(o, s, fmt::format("worker_{}", t), [&] {
          const auto r = throughput(s, o, t, s.jobs, Lock::None, t == 8 ? s.idle_ms : 0);
          if (t == 1 || t == 8) record_cost(fmt::format("worker_{}", t), r.cost);
          if (t == 1) fig("rss_worker_1").runs.push_back(static_cast<double>(r.vmhwm_kb) / 1024);
          if (t == 8) {
            fig("rss_pool_8").runs.push_back(static_cast<double>(r.vmhwm_kb) / 1024);
            if (r.idle_cpu_percent) fig("idle_cpu_pool_8").runs.push_back(*r.idle_cpu_percent);
          }
          return r.jobs_per_s;
        });
      }
    }
    if (s.section("locks") && locks_na.empty()) {
      for (Lock l : {Lock::QueueLock, Lock::JobLock})
        for (int t : {1, 4, 8})
          measure_paired(o, s, fmt::format("{}_worker_{}", lock_name(l), t),
                         [&] { return throughput(s, o, t, s.lock_jobs, l, 0).jobs_per_s; });
    }
    if (s.section("latency")) {
      try {
        const Latency l = pickup_latency(o, s.latency_samples, s.gap_min_ms, s.gap_max_ms);
        fig("latency_p50").runs.push_back(l.p50_ms);
        fig("latency_p99").runs.push_back(l.p99_ms);
        progress(fmt::format("  {:<34} p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms ({} samples)",
                             "latency", l.p50_ms, l.p99_ms, l.max_ms, l.samples));
      } catch (const std::exception& e) {
        fig("latency_p50").na = fig("latency_p99").na = "error";
        progress(std::string("  latency ERROR: ") + e.what());
      }
    }
    if (node) run_node_rep(s, o);
  }

  for (auto& c : slow_latency) {
    try {
      const Json r = c->result(std::chrono::seconds(60 + 6 * s.node_default_samples));
      fig("node_latency_default_p50").runs.push_back(r.at("p50_ms").get<double>());
      fig("node_latency_default_p99").runs.push_back(r.at("p99_ms").get<double>());
      progress(fmt::format("  {:<34} p50 {:.0f} ms, p99 {:.0f} ms", "node_latency_default",
                           r["p50_ms"].get<double>(), r["p99_ms"].get<double>()));
    } catch (const std::exception& e) {
      fig("node_latency_default_p50").na = fig("node_latency_default_p99").na = "error";
      progress(std::string("  node_latency_default ERROR: ") + e.what());
    }
  }

  print_table(stdout, s);
  printf("\n(run took %.0f s)\n", now_s() - t_start);
  if (!s.json_path.empty()) {
    FILE* f = std::fopen(s.json_path.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + s.json_path);
    const std::string text = to_json(s, redis_version).dump(2) + "\n";
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    progress("wrote " + s.json_path);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::strcmp(argv[1], "--child-throughput") == 0)
      return child_throughput_main(std::vector<std::string>(argv + 2, argv + argc));
    return bench_main(argc, argv);
  } catch (const std::exception& e) {
    fprintf(stderr, "resque_bench: %s\n", e.what());
    return 1;
  }
}
