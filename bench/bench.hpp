#pragma once
// resque_bench internals: measurements of resque-cpp (bench_ours.cpp), of node-resque
// (bench_node.cpp), child processes and statistics (bench_util.cpp). main.cpp runs them and
// prints the table. A benchmark, not a test: nothing here asserts a time.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "resque/json.hpp"
#include "resque/options.hpp"

namespace resque::bench {

// ---------------------------------------------------------------- settings

struct Settings {
  int repetitions = 3;
  /// Jobs pre-filled for each throughput run of ours (the 100,000).
  long jobs = 100000;
  /// Jobs for the QueueLock/JobLock throughput rows (each job costs 1-2 more round trips).
  long lock_jobs = 30000;
  /// Jobs enqueued one call at a time.
  long enqueue_jobs = 20000;
  /// Jobs in the enqueue_batch measurement.
  long batch_jobs = 100000;
  /// Seconds per Redis-limit measurement.
  double redis_seconds = 1.0;
  /// Seconds of each PING-rate measurement bracketing a paired figure.
  double pair_seconds = 0.3;
  /// Pickup-latency samples of ours per repetition, gaps in ms.
  int latency_samples = 200;
  int gap_min_ms = 1;
  int gap_max_ms = 20;
  /// How long the 8-thread pool idles for the CPU figure.
  int idle_ms = 2000;
  bool node = true;
  long node_jobs = 20000;
  long node_enqueue_jobs = 10000;
  int node_default_samples = 8;
  int node_fast_samples = 50;
  /// Sections to run: redis, enqueue, throughput, locks, latency, node.
  std::vector<std::string> sections = {"redis", "enqueue", "throughput",
                                       "locks", "latency", "node"};
  std::string json_path;
  std::string node_scripts;  // bench/node
  std::string node_modules;  // tests/interop/node/node_modules
  bool verbose = false;

  bool section(const std::string& s) const;
};

// ---------------------------------------------------------------- statistics

double median(std::vector<double> v);
/// Linear interpolation between closest ranks (p in 0..100).
double percentile(std::vector<double> v, double p);

/// Seconds since an arbitrary epoch (steady clock).
double now_s();
std::int64_t steady_ns();

/// Peak resident set size of this process (VmHWM), KiB; 0 when unknown.
long vmhwm_kb();
/// User + system CPU seconds consumed by this process so far.
double cpu_seconds();

// ---------------------------------------------------------------- child processes

/// A child process whose stdout is captured (stderr is inherited, so its errors show). It is
/// killed when the benchmark dies (PR_SET_PDEATHSIG) and when the object is destroyed unfinished.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& what);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  /// Waits (at most `timeout`) for exit; returns the last stdout line parsed as JSON. Throws
  /// std::runtime_error on timeout, non-zero exit or output that is not JSON.
  Json result(std::chrono::seconds timeout);

 private:
  std::string what_;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string out_;
};

/// This executable's path (for re-exec in child mode).
std::string self_exe();

// ---------------------------------------------------------------- resque-cpp side

/// Single-connection round trips per second: PING, and EVALSHA of `return 1`.
/// CPU time one operation costs, in microseconds: on the client (the measuring thread or
/// process) and in redis-server (INFO cpu). Steadier than rates on a shared machine, because
/// time spent waiting for a CPU is not counted.
struct Cost {
  double client_us = 0;
  double redis_us = 0;
};
/// redis-server's used_cpu_user + used_cpu_sys, seconds.
double redis_cpu_seconds(const ConnectionOptions& o);
/// CPU seconds of the calling thread.
double thread_cpu_seconds();

double redis_ping_rate(const ConnectionOptions& o, double seconds, Cost* cost = nullptr);
double redis_evalsha_rate(const ConnectionOptions& o, double seconds);
/// RPUSH of a typical payload, pipelined 1,000 at a time, commands per second.
double redis_pipelined_rpush_rate(const ConnectionOptions& o, double seconds);

double enqueue_one_rate(const ConnectionOptions& o, long jobs, Cost* cost = nullptr);
double enqueue_batch_rate(const ConnectionOptions& o, long jobs);

/// Empties `queue` and writes `jobs` no-op jobs ({"class":"NoopJob","args":[i]}) with
/// enqueue_batch (no hooks: QueueLock's enqueue hook is not what is being measured).
void prefill(const ConnectionOptions& o, const std::string& queue, long jobs);
long long queue_length(const ConnectionOptions& o, const std::string& queue);

enum class Lock { None, QueueLock, JobLock };
const char* lock_name(Lock l);
/// Empty when the lock plugins are built; otherwise why the lock rows are "n/a".
std::string locks_unavailable();

struct ThroughputResult {
  double jobs_per_s = 0;
  Cost cost;  // per job
  double seconds = 0;
  long vmhwm_kb = 0;
  std::optional<double> idle_cpu_percent;
};
/// Pre-fills `queue` and runs `threads` workers in a child process until every job was
/// performed (1 = one Worker, more = a fixed WorkerPool). With idle_ms > 0 the child then
/// idles that long and reports its CPU use.
ThroughputResult throughput(const Settings& s, const ConnectionOptions& o, int threads, long jobs,
                            Lock lock, int idle_ms);
/// The child side of throughput(); returns the process exit code.
int child_throughput_main(const std::vector<std::string>& args);

struct Latency {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  std::size_t samples = 0;
};
/// One idle Worker; jobs enqueued one at a time at random gaps; enqueue -> perform start.
Latency pickup_latency(const ConnectionOptions& o, int samples, int gap_min_ms, int gap_max_ms);

// ---------------------------------------------------------------- node-resque side

/// Empty when node and the pinned node-resque are usable; otherwise why not.
std::string node_unavailable(const Settings& s);
std::string node_version();
/// Starts `node <script> --port P args...` with NODE_PATH set.
std::unique_ptr<Child> node_start(const Settings& s, const ConnectionOptions& o,
                                  const std::string& script, std::vector<std::string> args);

}  // namespace resque::bench
