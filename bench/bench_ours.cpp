// The resque-cpp side of resque_bench: the Redis limit, enqueue, worker throughput (in child
// processes, so each run's peak RSS is its own), pickup latency.
#include <hiredis/hiredis.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "bench.hpp"
#include "resque/connection.hpp"
#include "resque/keys.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"
#include "resque/worker_pool.hpp"

// ================================================================ LOCK ROWS
// The QueueLock/JobLock throughput rows switch on by themselves once the plugins exist in the
// tree (they are built on another branch). Until then they print "n/a (plugins not built)".
#if __has_include(<resque/plugins/queue_lock.hpp>)
#include <resque/plugins/queue_lock.hpp>
#if __has_include(<resque/plugins/job_lock.hpp>)
#include <resque/plugins/job_lock.hpp>
#endif
#if __has_include(<resque/plugins.hpp>)
#include <resque/plugins.hpp>
#endif
#define RESQUE_BENCH_HAVE_LOCKS 1
#endif

namespace resque::bench {

const char* lock_name(Lock l) {
  switch (l) {
    case Lock::QueueLock: return "queue_lock";
    case Lock::JobLock: return "job_lock";
    default: return "none";
  }
}

std::string locks_unavailable() {
#ifdef RESQUE_BENCH_HAVE_LOCKS
  return {};
#else
  return "n/a (plugins not built)";
#endif
}

namespace {

PluginList plugins_for(Lock lock) {
#ifdef RESQUE_BENCH_HAVE_LOCKS
  if (lock == Lock::QueueLock) return {std::make_shared<resque::plugins::QueueLock>()};
  if (lock == Lock::JobLock) return {std::make_shared<resque::plugins::JobLock>()};
#else
  if (lock != Lock::None) throw std::runtime_error("lock plugins are not built");
#endif
  return {};
}
// ================================================================ end of LOCK ROWS

Lock parse_lock(const std::string& s) {
  if (s == "queue_lock") return Lock::QueueLock;
  if (s == "job_lock") return Lock::JobLock;
  return Lock::None;
}

// A typical small payload, as our enqueue writes it.
const std::string kPayload = R"({"class":"NoopJob","queue":"bench","args":[12345]})";

// Raw hiredis, not resque::Connection: the limit is Redis's and the loopback's, without any of
// our layers.
struct Raw {
  redisContext* c;
  explicit Raw(const ConnectionOptions& o) : c(redisConnect(o.host.c_str(), o.port)) {
    if (c == nullptr || c->err) throw std::runtime_error("cannot connect to the bench redis");
  }
  ~Raw() { redisFree(c); }
  void cmd(const char* fmt) {
    auto* r = static_cast<redisReply*>(redisCommand(c, fmt));
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) throw std::runtime_error("redis error");
    freeReplyObject(r);
  }
};

template <class F>
double rate(double seconds, F&& one_batch) {
  const double t0 = now_s();
  long n = 0;
  double t = t0;
  while (t - t0 < seconds) {
    n += one_batch();
    t = now_s();
  }
  return static_cast<double>(n) / (t - t0);
}

std::string trivial_sha;

}  // namespace

double redis_cpu_seconds(const ConnectionOptions& o) {
  Connection c(o);
  const std::string info = c.command({"INFO", "cpu"}).string();
  auto field = [&](const char* name) {
    const auto p = info.find(name);
    return p == std::string::npos ? 0.0 : std::stod(info.substr(p + std::strlen(name)));
  };
  return field("used_cpu_sys:") + field("used_cpu_user:");
}

double redis_ping_rate(const ConnectionOptions& o, double seconds, Cost* cost) {
  Raw r(o);
  const double r0 = cost ? redis_cpu_seconds(o) : 0, c0 = thread_cpu_seconds();
  long n = 0;
  const double result = rate(seconds, [&] {
    for (int i = 0; i < 100; ++i) r.cmd("PING");
    n += 100;
    return 100;
  });
  if (cost) {
    cost->client_us = (thread_cpu_seconds() - c0) / static_cast<double>(n) * 1e6;
    cost->redis_us = (redis_cpu_seconds(o) - r0) / static_cast<double>(n) * 1e6;
  }
  return result;
}

double redis_evalsha_rate(const ConnectionOptions& o, double seconds) {
  Raw r(o);
  auto* load = static_cast<redisReply*>(redisCommand(r.c, "SCRIPT LOAD %s", "return 1"));
  if (load == nullptr || load->type != REDIS_REPLY_STRING)
    throw std::runtime_error("SCRIPT LOAD failed");
  trivial_sha.assign(load->str, load->len);
  freeReplyObject(load);
  const std::string cmd = "EVALSHA " + trivial_sha + " 0";
  return rate(seconds, [&] {
    for (int i = 0; i < 100; ++i) r.cmd(cmd.c_str());
    return 100;
  });
}

double redis_pipelined_rpush_rate(const ConnectionOptions& o, double seconds) {
  Raw r(o);
  const std::string key = Keys(o.key_namespace).queue("bench_rpush");
  const double result = rate(seconds, [&] {
    for (int i = 0; i < 1000; ++i)
      redisAppendCommand(r.c, "RPUSH %b %b", key.data(), key.size(), kPayload.data(),
                         kPayload.size());
    for (int i = 0; i < 1000; ++i) {
      void* reply = nullptr;
      if (redisGetReply(r.c, &reply) != REDIS_OK) throw std::runtime_error("pipeline failed");
      freeReplyObject(reply);
    }
    return 1000;
  });
  redisCommand(r.c, "DEL %b", key.data(), key.size());
  return result;
}

long long queue_length(const ConnectionOptions& o, const std::string& queue) {
  Connection c(o);
  return c.command({"LLEN", Keys(o.key_namespace).queue(queue)}).integer();
}

namespace {
void del_queue(const ConnectionOptions& o, const std::string& queue) {
  Connection c(o);
  c.command({"DEL", Keys(o.key_namespace).queue(queue)});
}
}  // namespace

double enqueue_one_rate(const ConnectionOptions& o, long jobs, Cost* cost) {
  const std::string q = "bench_enqueue";
  del_queue(o, q);
  Queue queue(o);
  queue.enqueue(q, "NoopJob", Json::array({-1}));  // connect and load the script first
  const double r0 = cost ? redis_cpu_seconds(o) : 0, c0 = thread_cpu_seconds();
  const double t0 = now_s();
  for (long i = 0; i < jobs; ++i) queue.enqueue(q, "NoopJob", Json::array({i}));
  const double t = now_s() - t0;
  if (cost) {
    cost->client_us = (thread_cpu_seconds() - c0) / static_cast<double>(jobs) * 1e6;
    cost->redis_us = (redis_cpu_seconds(o) - r0) / static_cast<double>(jobs) * 1e6;
  }
  del_queue(o, q);
  return static_cast<double>(jobs) / t;
}

double enqueue_batch_rate(const ConnectionOptions& o, long jobs) {
  const std::string q = "bench_batch";
  del_queue(o, q);
  Queue queue(o);
  queue.enqueue(q, "NoopJob", Json::array({-1}));
  std::vector<Job> batch;
  batch.reserve(static_cast<std::size_t>(jobs));
  for (long i = 0; i < jobs; ++i) {
    Job j;
    j.klass = "NoopJob";
    j.queue = q;
    j.args = Json::array({i});
    batch.push_back(std::move(j));
  }
  const double t0 = now_s();
  const std::size_t n = queue.enqueue_batch(batch);
  const double t = now_s() - t0;
  if (static_cast<long>(n) != jobs) throw std::runtime_error("enqueue_batch wrote fewer jobs");
  del_queue(o, q);
  return static_cast<double>(jobs) / t;
}

void prefill(const ConnectionOptions& o, const std::string& q, long jobs) {
  del_queue(o, q);
  Queue queue(o);
  for (long begin = 0; begin < jobs; begin += 10000) {
    std::vector<Job> batch;
    for (long i = begin; i < std::min(jobs, begin + 10000); ++i) {
      Job j;
      j.klass = "NoopJob";
      j.queue = q;
      j.args = Json::array({i});  // distinct args: no two jobs share a lock key
      batch.push_back(std::move(j));
    }
    queue.enqueue_batch(batch);
  }
}

ThroughputResult throughput(const Settings& s, const ConnectionOptions& o, int threads, long jobs,
                            Lock lock, int idle_ms) {
  const std::string q = "bench_throughput";
  prefill(o, q, jobs);
  const double r0 = redis_cpu_seconds(o);
  Child child({self_exe(), "--child-throughput", "--port", std::to_string(o.port), "--queue", q,
               "--threads", std::to_string(threads), "--jobs", std::to_string(jobs), "--lock",
               lock_name(lock), "--idle-ms", std::to_string(idle_ms)},
              "throughput child");
  // Generous: 300 jobs/s would already be far below anything measured.
  const Json r = child.result(std::chrono::seconds(60 + jobs / 300 + idle_ms / 1000));
  const double redis_s = redis_cpu_seconds(o) - r0;
  if (queue_length(o, q) != 0) throw std::runtime_error("throughput: queue not drained");
  if (s.verbose) fprintf(stderr, "  child: %s\n", r.dump().c_str());
  ThroughputResult out;
  out.jobs_per_s = r.at("jobs_per_s").get<double>();
  out.seconds = r.at("seconds").get<double>();
  out.vmhwm_kb = r.at("vmhwm_kb").get<long>();
  if (r.contains("idle_cpu_percent")) out.idle_cpu_percent = r["idle_cpu_percent"].get<double>();
  out.cost.client_us = r.at("cpu_s").get<double>() / static_cast<double>(jobs) * 1e6;
  // The idle period's polls are in redis_s too; they are a few commands per second.
  out.cost.redis_us = redis_s / static_cast<double>(jobs) * 1e6;
  return out;
}

int child_throughput_main(const std::vector<std::string>& args) {
  ConnectionOptions o;
  std::string queue = "bench_throughput";
  int threads = 1;
  long jobs = 0;
  int idle_ms = 0;
  Lock lock = Lock::None;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    const std::string& k = args[i];
    const std::string& v = args[i + 1];
    if (k == "--port") o.port = std::stoi(v);
    if (k == "--queue") queue = v;
    if (k == "--threads") threads = std::stoi(v);
    if (k == "--jobs") jobs = std::stol(v);
    if (k == "--lock") lock = parse_lock(v);
    if (k == "--idle-ms") idle_ms = std::stoi(v);
  }
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<long> done{0};
  auto registry = std::make_shared<JobRegistry>();
  registry->define(
      "NoopJob",
      [&](long long) {
        if (done.fetch_add(1) + 1 == jobs) {
          std::lock_guard<std::mutex> l(mu);
          cv.notify_all();
        }
      },
      plugins_for(lock));
  WorkerOptions wo;
  wo.queues = {queue};
  std::atomic<long> errors{0};
  wo.events.on_failure = [&](const std::string&, const Job&, const std::string& e,
                             const std::string& m) {
    if (errors.fetch_add(1) < 3)
      fprintf(stderr, "throughput child: job failed: %s: %s\n", e.c_str(), m.c_str());
  };
  std::unique_ptr<Worker> worker;
  std::unique_ptr<WorkerPool> pool;
  const double t0 = now_s(), cpu0 = cpu_seconds();
  if (threads == 1) {
    worker = std::make_unique<Worker>(o, registry, wo);
    worker->start();
  } else {
    WorkerPoolOptions po;
    po.worker = wo;
    po.min_threads = po.max_threads = static_cast<std::size_t>(threads);
    pool = std::make_unique<WorkerPool>(o, registry, po);
    pool->start();
  }
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return done.load() >= jobs; });
  }
  const double seconds = now_s() - t0, cpu_s = cpu_seconds() - cpu0;
  Json out = Json::object();
  out["cpu_s"] = cpu_s;
  out["threads"] = threads;
  out["lock"] = lock_name(lock);
  out["jobs"] = jobs;
  out["seconds"] = seconds;
  out["jobs_per_s"] = static_cast<double>(jobs) / seconds;
  out["failed"] = errors.load();
  if (idle_ms > 0) {
    // Let every worker finish its last step and go idle, then measure what idling costs.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const double c0 = cpu_seconds(), w0 = now_s();
    std::this_thread::sleep_for(std::chrono::milliseconds(idle_ms));
    out["idle_cpu_percent"] = (cpu_seconds() - c0) / (now_s() - w0) * 100.0;
  }
  out["vmhwm_kb"] = vmhwm_kb();
  if (worker) worker->stop();
  if (pool) pool->stop();
  printf("%s\n", out.dump().c_str());
  fflush(stdout);
  return errors.load() == 0 ? 0 : 1;
}

Latency pickup_latency(const ConnectionOptions& o, int samples, int gap_min_ms, int gap_max_ms) {
  const std::string q = "bench_latency";
  del_queue(o, q);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<double> lat;
  auto registry = std::make_shared<JobRegistry>();
  registry->define("LatencyJob", [&](std::int64_t enqueued_ns) {
    const double ms = static_cast<double>(steady_ns() - enqueued_ns) / 1e6;
    std::lock_guard<std::mutex> l(mu);
    lat.push_back(ms);
    cv.notify_all();
  });
  WorkerOptions wo;
  wo.queues = {q};
  bool idle = false;
  wo.events.on_poll = [&](const std::string&) {
    std::lock_guard<std::mutex> l(mu);
    idle = true;
    cv.notify_all();
  };
  Worker worker(o, registry, wo);
  worker.start();
  {
    std::unique_lock<std::mutex> l(mu);
    if (!cv.wait_for(l, std::chrono::seconds(10), [&] { return idle; }))
      throw std::runtime_error("latency: worker never became idle");
  }
  Queue queue(o);
  queue.enqueue("bench_latency_warmup", "Nothing", Json::array());  // connect, load script
  del_queue(o, "bench_latency_warmup");
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> gap(gap_min_ms * 1000, gap_max_ms * 1000);
  for (int i = 0; i < samples; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(gap(rng)));
    queue.enqueue(q, "LatencyJob", Json::array({steady_ns()}));
  }
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(10),
                [&] { return lat.size() >= static_cast<std::size_t>(samples); });
  }
  worker.stop();
  std::lock_guard<std::mutex> l(mu);
  Latency out;
  out.samples = lat.size();
  out.p50_ms = percentile(lat, 50);
  out.p99_ms = percentile(lat, 99);
  out.max_ms = percentile(lat, 100);
  return out;
}

}  // namespace resque::bench
