// resque_scale_bench: the scaling curves of issue 13. Each point is measured against one
// redis-server started here, beside a PING baseline measured in the same run, and its
// redis-server CPU per job comes from INFO cpu. A benchmark, not a test: nothing asserts a time.
//
//   resque_scale_bench [--quick] [--big] [--reps N] [--curves promote,many,queues,wake,del,payload]
//
// --quick shrinks every curve (a smoke run of a few seconds); --big adds the 1,000,000-entry
// del point (Redis needs ~300 MB for it).
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench.hpp"
#include "redis_server.hpp"
#include "resque/resque.hpp"

using namespace resque;
using namespace resque::bench;

namespace {

struct Scale {
  bool quick = false, big = false, node = true;
  std::vector<long> payload_bytes = {1000, 100000, 1000000};
  int reps = 3;
  std::vector<std::string> curves = {"promote", "many", "queues", "wake", "del", "payload"};
  bool on(const std::string& c) const {
    return std::find(curves.begin(), curves.end(), c) != curves.end();
  }
};

long long info_field(Connection& c, const char* section, const std::string& name) {
  const std::string info = c.command({"INFO", section}).string();
  const auto p = info.find(name);
  if (p == std::string::npos) return 0;
  return std::stoll(info.substr(p + name.size()));
}

// Scripts run so far (EVAL + EVALSHA calls, from INFO commandstats).
long long scripts_run(Connection& c) {
  return info_field(c, "commandstats", "cmdstat_evalsha:calls=") +
         info_field(c, "commandstats", "cmdstat_eval:calls=");
}

double ping_rate(const ConnectionOptions& o) {
  return redis_ping_rate(o, 0.3);
}

struct Point {
  std::string curve, x;
  double jobs_per_s = 0, redis_us = 0, ping = 0;
  std::string extra;
  // node-resque on the same data in the same run (0: not measured); node_mb: MB/s enqueue,
  // perform (payload curve).
  double node_jobs_per_s = 0, node_redis_us = 0;
  double mb_enqueue = 0, mb_perform = 0, node_mb_enqueue = 0, node_mb_perform = 0;
  // Payload curve: the enqueue phase's share of redis_us / node_redis_us.
  double redis_enqueue_us = 0, node_redis_enqueue_us = 0;
  // Payload curve: client CPU per enqueue (ours: the whole process; node: its process).
  double client_enqueue_us = 0, node_client_enqueue_us = 0;
};
// Where the node side runs from (node_unavailable() empty when it can).
Settings node_settings;
bool with_node = false;
std::vector<Point> points;

void print_point(const Point& p) {
  fprintf(stderr, "  %-28s %-10s %12.0f jobs/s  %8.1f us Redis/job  PING %7.0f/s  %s\n",
          p.curve.c_str(), p.x.c_str(), p.jobs_per_s, p.redis_us, p.ping, p.extra.c_str());
  if (p.mb_perform > 0)
    fprintf(stderr, "  %-39s enqueue %.1f MB/s, perform %.1f MB/s\n", "", p.mb_enqueue,
            p.mb_perform);
  if (p.node_jobs_per_s > 0)
    fprintf(stderr,
            "  %-28s %-10s %12.0f jobs/s  %8.1f us Redis/job  enqueue %.1f, perform %.1f MB/s\n",
            "  node-resque", "", p.node_jobs_per_s, p.node_redis_us, p.node_mb_enqueue,
            p.node_mb_perform);
}

// Median of `reps` runs of f (each returns a Point) by jobs/s; other fields from the same run.
Point median_point(int reps, const std::function<Point()>& f) {
  std::vector<Point> runs;
  for (int i = 0; i < reps; ++i) runs.push_back(f());
  std::sort(runs.begin(), runs.end(),
            [](const Point& a, const Point& b) { return a.jobs_per_s < b.jobs_per_s; });
  Point p = runs[runs.size() / 2];
  // Every other figure: its own median over the runs.
  auto med = [&](double Point::*field) {
    std::vector<double> v;
    for (auto& x : runs) v.push_back(x.*field);
    p.*field = median(v);
  };
  for (auto field :
       {&Point::redis_us, &Point::node_jobs_per_s, &Point::node_redis_us, &Point::mb_enqueue,
        &Point::mb_perform, &Point::node_mb_enqueue, &Point::node_mb_perform,
        &Point::redis_enqueue_us, &Point::node_redis_enqueue_us, &Point::client_enqueue_us,
        &Point::node_client_enqueue_us})
    med(field);
  print_point(p);
  points.push_back(p);
  return p;
}

// ---- promotion ----------------------------------------------------------------------------

// Writes n node-style delayed items server-side: at one timestamp (distinct = false) or each at
// its own timestamp, all in the past.
void fill_delayed(Connection& c, long n, bool distinct) {
  static const char* kFill = R"(
local p, n, distinct, base = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1', tonumber(ARGV[4])
for i = 1, n do
  local ts = base
  if distinct then ts = base - i end
  local item = '{"class":"NoopJob","queue":"bench_promoted","args":[' .. i .. ']}'
  redis.call('RPUSH', p .. 'delayed:' .. ts, item)
  redis.call('SADD', p .. 'timestamps:' .. item, 'delayed:' .. ts)
  redis.call('ZADD', p .. 'delayed_queue_schedule', ts, ts)
end
return n)";
  c.command({"EVAL", kFill, "0", Keys().prefix(), std::to_string(n), distinct ? "1" : "0",
             std::to_string(std::time(nullptr) - 3600)});
}

Point promote_point(const ConnectionOptions& o, long n, bool distinct) {
  Connection c(o);
  c.command({"FLUSHALL"});
  fill_delayed(c, n, distinct);
  SchedulerOptions so;
  so.recover_dead_workers = false;
  Scheduler sched(o, nullptr, so);
  const double ping = ping_rate(o);
  const double r0 = redis_cpu_seconds(o), t0 = now_s();
  while (c.command({"ZCARD", Keys().delayed_schedule()}).integer() > 0) sched.run_once();
  const double t = now_s() - t0, r = redis_cpu_seconds(o) - r0;
  const long long pushed = c.command({"LLEN", Keys().queue("bench_promoted")}).integer();
  if (pushed != n) throw std::runtime_error(fmt::format("promote: {} of {} pushed", pushed, n));
  return {distinct ? "promote at N timestamps" : "promote at one timestamp",
          std::to_string(n),
          static_cast<double>(n) / t,
          r / static_cast<double>(n) * 1e6,
          ping,
          ""};
}

// ---- one worker, many queues ---------------------------------------------------------------

// 1,000 queues in `queues`, `jobs` jobs in the last one (every other queue is empty).
std::vector<std::string> fill_queues(Connection& c, long jobs) {
  c.command({"FLUSHALL"});
  const int kQueues = 1000;
  std::vector<std::string> names;
  for (int i = 0; i < kQueues; ++i) names.push_back(fmt::format("q{:04}", i));
  {
    std::vector<std::string_view> sadd{"SADD", Keys().queues()};
    for (auto& s : names) sadd.push_back(s);
    c.command(sadd);
  }
  // Jobs wait in the last queue of the priority order (every other queue is empty).
  const std::string target = names.back();
  static const char* kFill = R"(
for i = 1, tonumber(ARGV[1]) do
  redis.call('RPUSH', KEYS[1], '{"class":"NoopJob","queue":"' .. ARGV[2] .. '","args":[' .. i .. ']}')
end)";
  c.command({"EVAL", kFill, "1", Keys().queue(target), std::to_string(jobs), target});
  return names;
}

// node-resque's Worker on the same data (node/scale.js): jobs/s and Redis CPU per job (from
// the child's start: its connect and registration are counted too).
void node_queues(const ConnectionOptions& o, Point& p, const std::string& which, long jobs) {
  if (!with_node) return;
  Connection c(o);
  fill_queues(c, jobs);
  const double r0 = redis_cpu_seconds(o);
  auto child = node_start(node_settings, o, "scale.js",
                          {"--mode", "queues", "--which", which, "--jobs", std::to_string(jobs)});
  const Json r = child->result(std::chrono::seconds(120));
  p.node_redis_us = (redis_cpu_seconds(o) - r0) / static_cast<double>(jobs) * 1e6;
  p.node_jobs_per_s = r.at("jobs_per_s").get<double>();
}

Point queues_point(const ConnectionOptions& o, const std::string& which, long jobs,
                   long node_jobs) {
  Connection c(o);
  const auto names = fill_queues(c, jobs);
  const std::string target = names.back();
  auto registry = std::make_shared<JobRegistry>();
  std::atomic<long> done{0};
  std::mutex mu;
  std::condition_variable cv;
  registry->define("NoopJob", [&](long long) {
    if (done.fetch_add(1) + 1 == jobs) {
      std::lock_guard<std::mutex> l(mu);
      cv.notify_all();
    }
  });
  WorkerOptions wo;
  if (which == "1")
    wo.queues = {target};
  else if (which == "100")
    wo.queues.assign(names.end() - 100, names.end());
  else
    wo.queues = {"*"};
  const double ping = ping_rate(o);
  const double r0 = redis_cpu_seconds(o), t0 = now_s();
  Worker w(o, registry, wo);
  w.start();
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(120), [&] { return done.load() >= jobs; });
  }
  const double t = now_s() - t0, r = redis_cpu_seconds(o) - r0;
  w.stop();
  Point p{"worker, 1000 queues, on",           which, static_cast<double>(done.load()) / t,
          r / static_cast<double>(jobs) * 1e6, ping,  ""};
  node_queues(o, p, which, node_jobs);
  return p;
}

// ---- one enqueue into an idle pool ---------------------------------------------------------

Point wake_point(const ConnectionOptions& o, int threads, int samples) {
  Connection c(o);
  c.command({"FLUSHALL"});
  auto registry = std::make_shared<JobRegistry>();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<double> lat;
  registry->define("LatencyJob", [&](std::int64_t enqueued_ns) {
    const double ms = static_cast<double>(steady_ns() - enqueued_ns) / 1e6;
    std::lock_guard<std::mutex> l(mu);
    lat.push_back(ms);
    cv.notify_all();
  });
  WorkerPoolOptions po;
  po.worker.queues = {"bench_wake"};
  // Long enough that no poll lands inside a sample's window of ~50 ms (the poll is what finds
  // jobs of libraries that do not publish; it is not what is measured here).
  po.worker.poll_interval = std::chrono::milliseconds(5000);
  po.min_threads = po.max_threads = static_cast<std::size_t>(threads);
  WorkerPool pool(o, registry, po);
  pool.start();
  Queue queue(o);
  queue.enqueue("bench_wake_warmup", "Nothing", Json::array());
  // Let every thread register and go idle.
  std::this_thread::sleep_for(std::chrono::milliseconds(300 + threads * 5));
  const double ping = ping_rate(o);
  std::vector<double> scripts;
  const double r0 = redis_cpu_seconds(o);
  for (int i = 0; i < samples; ++i) {
    const long long s0 = scripts_run(c);
    queue.enqueue("bench_wake", "LatencyJob", Json::array({steady_ns()}));
    {
      std::unique_lock<std::mutex> l(mu);
      cv.wait_for(l, std::chrono::seconds(10),
                  [&] { return lat.size() >= static_cast<std::size_t>(i + 1); });
    }
    // Let the woken threads finish their steps before counting.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // Minus the enqueue script itself.
    scripts.push_back(static_cast<double>(scripts_run(c) - s0 - 1));
  }
  const double r = redis_cpu_seconds(o) - r0;
  pool.stop();
  std::lock_guard<std::mutex> l(mu);
  const double p50 = percentile(lat, 50);
  return {"enqueue into idle pool",
          std::to_string(threads) + " thr",
          1000.0 / p50,
          r / samples * 1e6,
          ping,
          fmt::format("wake p50 {:.2f} ms, worker scripts/enqueue median {:.0f} max {:.0f}", p50,
                      median(scripts), *std::max_element(scripts.begin(), scripts.end()))};
}

// ---- Queue::del ----------------------------------------------------------------------------

Point del_point(const ConnectionOptions& o, long n) {
  Connection c(o);
  c.command({"FLUSHALL"});
  // n jobs, one of which (in the middle) is the one deleted: the cost of finding it.
  static const char* kFill = R"(
local n = tonumber(ARGV[1])
for i = 1, n do
  redis.call('RPUSH', KEYS[1], '{"class":"NoopJob","queue":"bench_del","args":[' .. i .. ']}')
end)";
  c.command({"EVAL", kFill, "1", Keys().queue("bench_del"), std::to_string(n)});
  c.command({"SADD", Keys().queues(), "bench_del"});
  Queue queue(o);
  const double ping = ping_rate(o);
  {
    // The first scan of a freshly written list measured up to 3x the next ones, which would
    // charge whichever side ran first: one untimed scan (LPOS of a missing entry) first.
    c.command({"LPOS", Keys().queue("bench_del"), "missing"});
    // Connected, with its scripts loaded, before the clock starts (the LREM's connection is too).
    Queue::DelOptions warm;
    warm.match_by_value = true;
    queue.del("bench_del_warm", "NoopJob", Json::array({0}));
    queue.del("bench_del_warm", "NoopJob", Json::array({0}), warm);
  }
  // Five rounds, each a del and one LREM of other jobs near the middle, in alternating order
  // (a scan right after another runs faster); the medians are printed.
  std::vector<double> ts, rs, tls, rls;
  for (long k = 0; k < 5; ++k) {
    auto ours = [&] {
      const double r0 = redis_cpu_seconds(o), t0 = now_s();
      const long long removed = queue.del("bench_del", "NoopJob", Json::array({n / 2 + 2 * k}));
      ts.push_back(now_s() - t0);
      rs.push_back(redis_cpu_seconds(o) - r0);
      if (removed != 1) throw std::runtime_error(fmt::format("del removed {}", removed));
    };
    // What Ruby's Job.destroy sends: one LREM of its encoding.
    auto lrem = [&] {
      const std::string raw = fmt::format(
          R"({{"class":"NoopJob","queue":"bench_del","args":[{}]}})", n / 2 + 2 * k + 1);
      const double r1 = redis_cpu_seconds(o), t1 = now_s();
      if (c.command({"LREM", Keys().queue("bench_del"), "0", raw}).integer() != 1)
        throw std::runtime_error("LREM removed nothing");
      tls.push_back(now_s() - t1);
      rls.push_back(redis_cpu_seconds(o) - r1);
    };
    if (k % 2 == 0) {
      ours();
      lrem();
    } else {
      lrem();
      ours();
    }
  }
  const double t = median(ts), r = median(rs), tl = median(tls), rl = median(rls);
  // The opt-in: every encoding, by value (reads the whole list), another job.
  Queue::DelOptions by_value;
  by_value.match_by_value = true;
  const double r2 = redis_cpu_seconds(o), t2 = now_s();
  if (queue.del("bench_del", "NoopJob", Json::array({n / 2 + 20}), by_value) != 1)
    throw std::runtime_error("del (match_by_value) removed nothing");
  const double tv = now_s() - t2, rv = redis_cpu_seconds(o) - r2;
  return {"Queue::del on a queue of",
          std::to_string(n),
          1.0 / t,
          r * 1e6,
          ping,
          fmt::format("{:.2f} ms wall, {:.2f} ms Redis CPU ({:.1f}x / {:.1f}x one LREM); "
                      "match_by_value {:.2f} ms wall, {:.2f} ms Redis CPU; one LREM (Ruby's "
                      "Job.destroy) {:.2f} ms wall, {:.2f} ms Redis CPU",
                      t * 1e3, r * 1e3, t / tl, r / rl, tv * 1e3, rv * 1e3, tl * 1e3, rl * 1e3)};
}

// ---- payload size --------------------------------------------------------------------------

// Redis's allocator keeps the pages a FLUSHALL freed for a while, so whichever side enqueues
// after another's data was flushed would find its memory already mapped: each side first
// stores and deletes as many bytes as it will enqueue, so both start from the same warm state.
void warm_memory(Connection& c, long bytes, long jobs) {
  c.command({"FLUSHALL"});
  const std::string blob(static_cast<std::size_t>(bytes), 'w');
  for (long i = 0; i < jobs; ++i) c.command({"RPUSH", "bench:warm", blob});
  c.command({"DEL", "bench:warm"});
}

Point payload_point(const ConnectionOptions& o, long bytes, long jobs) {
  Connection c(o);
  warm_memory(c, bytes, jobs);
  auto registry = std::make_shared<JobRegistry>();
  std::atomic<long> done{0};
  std::mutex mu;
  std::condition_variable cv;
  registry->define("BigJob", [&](const std::string& s) {
    if (s.size() != static_cast<std::size_t>(bytes)) throw std::runtime_error("short payload");
    if (done.fetch_add(1) + 1 == jobs) {
      std::lock_guard<std::mutex> l(mu);
      cv.notify_all();
    }
  });
  const std::string arg(static_cast<std::size_t>(bytes), 'x');
  Queue queue(o);
  const double ping = ping_rate(o);
  // The arguments are built before the clock starts and moved in, as node's loop passes an
  // array it already holds: the figure is the library's enqueue, not the bench's copying.
  std::vector<Json> args;
  args.reserve(static_cast<std::size_t>(jobs));
  for (long i = 0; i < jobs; ++i) args.push_back(Json::array({arg}));
  const double r0 = redis_cpu_seconds(o), t0 = now_s(), c0 = cpu_seconds();
  for (auto& a : args) queue.enqueue("bench_big", "BigJob", std::move(a));
  const double te = now_s() - t0, re = redis_cpu_seconds(o) - r0, ce = cpu_seconds() - c0;
  WorkerOptions wo;
  wo.queues = {"bench_big"};
  Worker w(o, registry, wo);
  const double t1 = now_s();
  w.start();
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(120), [&] { return done.load() >= jobs; });
  }
  const double tp = now_s() - t1, r = redis_cpu_seconds(o) - r0;
  w.stop();
  const double mb = static_cast<double>(bytes) * static_cast<double>(jobs) / 1e6;
  Point p{"args of",
          bytes >= 1000000  ? "1MB"
          : bytes >= 100000 ? "100KB"
                            : "1KB",
          static_cast<double>(done.load()) / tp,
          r / static_cast<double>(jobs) * 1e6,
          ping,
          ""};
  p.mb_enqueue = mb / te;
  p.mb_perform = mb / tp;
  p.redis_enqueue_us = re / static_cast<double>(jobs) * 1e6;
  p.client_enqueue_us = ce / static_cast<double>(jobs) * 1e6;
  if (with_node) {
    warm_memory(c, bytes, jobs);
    const double n0 = redis_cpu_seconds(o);
    auto child = node_start(
        node_settings, o, "scale.js",
        {"--mode", "payload", "--bytes", std::to_string(bytes), "--jobs", std::to_string(jobs)});
    const Json nr = child->result(std::chrono::seconds(120));
    p.node_redis_us = (redis_cpu_seconds(o) - n0) / static_cast<double>(jobs) * 1e6;
    p.node_jobs_per_s = nr.at("jobs_per_s").get<double>();
    p.node_mb_enqueue = nr.at("enqueue_mb_s").get<double>();
    p.node_mb_perform = nr.at("perform_mb_s").get<double>();
    p.node_redis_enqueue_us = nr.at("redis_enqueue_us").get<double>();
    p.node_client_enqueue_us = nr.at("client_enqueue_us").get<double>();
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  Scale s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      s.quick = true;
      s.reps = 1;
    } else if (a == "--payload-bytes" && i + 1 < argc) {  // e.g. 1000000 (one size)
      s.payload_bytes = {std::stol(argv[++i])};
    } else if (a == "--no-node") {
      s.node = false;
    } else if (a == "--big") {
      s.big = true;
    } else if (a == "--reps" && i + 1 < argc) {
      s.reps = std::stoi(argv[++i]);
    } else if (a == "--curves" && i + 1 < argc) {
      s.curves.clear();
      std::string v = argv[++i];
      std::size_t p = 0;
      while (p <= v.size()) {
        const auto q = v.find(',', p);
        s.curves.push_back(v.substr(p, q == std::string::npos ? std::string::npos : q - p));
        if (q == std::string::npos) break;
        p = q + 1;
      }
    } else {
      fprintf(
          stderr,
          "usage: resque_scale_bench [--quick] [--big] [--no-node] [--reps N] [--payload-bytes B] "
          "[--curves promote,many,queues,wake,del,payload]\n");
      return 2;
    }
  }
  node_settings.node_scripts = RESQUE_BENCH_NODE_SCRIPTS;
  node_settings.node_modules = RESQUE_BENCH_NODE_MODULES;
  if (s.node) {
    const std::string why = node_unavailable(node_settings);
    with_node = why.empty();
    if (!with_node) fprintf(stderr, "node-resque points left out: %s\n", why.c_str());
  }
  resque::test::RedisServer server;
  ConnectionOptions o = server.options();
  o.key_namespace = "resque";
  {
    Cost pc;
    const double ping = redis_ping_rate(o, 1.0, &pc);
    fprintf(stderr, "PING %.0f/s, %.1f us Redis CPU per PING\n", ping, pc.redis_us);
  }
  const int r = s.reps;
  try {
    if (s.on("promote"))
      for (long n :
           s.quick ? std::vector<long>{1000, 10000} : std::vector<long>{1000, 10000, 30000, 100000})
        median_point(r, [&] { return promote_point(o, n, false); });
    if (s.on("many"))
      for (long n : s.quick ? std::vector<long>{1000} : std::vector<long>{1000, 10000})
        median_point(r, [&] { return promote_point(o, n, true); });
    if (s.on("queues"))
      for (const char* w : {"1", "100", "*"})
        median_point(r, [&] {
          // node-resque's step costs ~4.5 ms of Redis at 100 queues and ~57 ms on "*".
          const long node_jobs = std::string(w) == "1" ? 2000 : std::string(w) == "100" ? 200 : 20;
          return queues_point(o, w, s.quick ? 1000 : 5000, s.quick ? node_jobs / 4 : node_jobs);
        });
    if (s.on("wake"))
      for (int t : s.quick ? std::vector<int>{1, 64} : std::vector<int>{1, 64, 256})
        median_point(1, [&] { return wake_point(o, t, s.quick ? 5 : 20); });
    if (s.on("del")) {
      std::vector<long> ns = s.quick ? std::vector<long>{10000} : std::vector<long>{10000, 100000};
      if (s.big) ns.push_back(1000000);
      for (long n : ns) median_point(r, [&] { return del_point(o, n); });
    }
    if (s.on("payload")) {
      for (long bytes : s.payload_bytes) {
        const long jobs = bytes >= 1000000 ? 50 : bytes >= 100000 ? 500 : 5000;
        median_point(r, [&] { return payload_point(o, bytes, s.quick ? jobs / 5 : jobs); });
      }
    }
  } catch (const std::exception& e) {
    fprintf(stderr, "scale bench: %s\n", e.what());
    return 1;
  }
  printf(
      "| curve | point | jobs/s (del: calls/s) | Redis CPU us/job | PING/s same run | node-resque "
      "jobs/s | node Redis us/job | notes |\n");
  printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const auto& p : points) {
    std::string notes = p.extra;
    if (p.mb_perform > 0) {
      notes = fmt::format(
          "enqueue {:.1f} MB/s, perform {:.1f} MB/s (us/job of an enqueue: Redis {:.0f}, client "
          "{:.0f})",
          p.mb_enqueue, p.mb_perform, p.redis_enqueue_us, p.client_enqueue_us);
      if (p.node_mb_perform > 0)
        notes += fmt::format(
            "; node enqueue {:.1f} MB/s, perform {:.1f} MB/s (Redis {:.0f}, client {:.0f}); "
            "ours/node {:.2f}x, {:.2f}x",
            p.node_mb_enqueue, p.node_mb_perform, p.node_redis_enqueue_us, p.node_client_enqueue_us,
            p.mb_enqueue / p.node_mb_enqueue, p.mb_perform / p.node_mb_perform);
    }
    const std::string nj = p.node_jobs_per_s > 0 ? fmt::format("{:.0f}", p.node_jobs_per_s) : "";
    const std::string nr = p.node_jobs_per_s > 0 ? fmt::format("{:.1f}", p.node_redis_us) : "";
    printf("| %s | %s | %.0f | %.1f | %.0f | %s | %s | %s |\n", p.curve.c_str(), p.x.c_str(),
           p.jobs_per_s, p.redis_us, p.ping, nj.c_str(), nr.c_str(), notes.c_str());
  }
  return 0;
}
