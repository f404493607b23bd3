#pragma once
/// @file worker_pool.hpp
/// N worker threads in the application process sharing one registry, each with its own
/// connection; optional scaling by backlog; one stop for all.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "resque/worker.hpp"

namespace resque {

/// Pool settings. Plain struct with defaults.
struct WorkerPoolOptions {
  /// Template for every worker (queues, intervals, host, events, log). Required: queues.
  WorkerOptions worker;
  /// Threads started at once and kept while idle. Default 1. The constructor throws ConfigError
  /// for 0, for max_threads < min_threads and for a scale_interval that is not positive.
  std::size_t min_threads = 1;
  /// Most threads; the pool grows (one thread per scale_interval) while jobs wait and no
  /// thread is idle, and shrinks back to min_threads when the queues are empty. Default 8.
  /// min == max gives a fixed pool.
  std::size_t max_threads = 8;
  /// How often the backlog is checked for scaling. Default 500 ms.
  std::chrono::milliseconds scale_interval{500};
};

/// The pool's state for readiness and liveness probes, summed over its workers. No Redis round
/// trip.
struct WorkerPoolHealth {
  /// start() was called and no stop() since.
  bool running = false;
  /// Every worker's last Redis round trip succeeded (false with no workers).
  bool connected = false;
  /// Worker threads now, and how many of them are connected and registered in Redis.
  std::size_t threads = 0;
  std::size_t workers_connected = 0;
  std::size_t workers_registered = 0;
  std::size_t jobs_in_flight = 0;
  std::uint64_t jobs_done = 0;
  std::uint64_t jobs_abandoned = 0;
  /// The most recent error of any worker, and when; empty and the epoch when none.
  std::string last_error;
  std::chrono::system_clock::time_point last_error_at{};
  /// The most recent job finished by any worker; the epoch before the first.
  std::chrono::system_clock::time_point last_job_finished_at{};
};

/// Thread-safety: every method may be called from any thread.
class WorkerPool {
 public:
  /// Throws ConfigError for invalid options (see WorkerPoolOptions and WorkerOptions).
  WorkerPool(ConnectionOptions connection, std::shared_ptr<const JobRegistry> registry,
             WorkerPoolOptions options);
  /// Stops gracefully (every current job finishes). May run on a worker's own thread (a job
  /// dropping the last owner): that worker's thread then ends by itself after the job.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start();
  /// Stops every worker (they stop taking jobs at once, finish their current job, unregister).
  /// With a deadline, jobs still running when it passes stay in flight for recovery; returns
  /// false in that case (each such job is logged at warning level and counted in
  /// jobs_abandoned()).
  ///
  /// Called from one of the pool's own jobs (or hooks or events) it only asks every worker to
  /// stop after its current job and returns true at once, without waiting; the destructor, or
  /// a later stop() from another thread, waits for the workers.
  bool stop(std::chrono::milliseconds deadline = std::chrono::milliseconds::max());
  void pause();
  void resume();
  /// Current number of worker threads.
  std::size_t size() const;
  std::vector<std::string> worker_ids() const;
  /// Jobs finished by all workers of the pool so far.
  std::uint64_t jobs_done() const;
  /// A snapshot for readiness probes (no Redis round trip).
  WorkerPoolHealth health() const;
  /// Job counters by {class, queue}, summed over every worker the pool has had.
  JobStatsMap job_stats() const;
  /// Jobs given up on by stop(deadline) so far.
  std::uint64_t jobs_abandoned() const;

 private:
  bool request_stop_from_worker();
  void add_worker_locked();
  void scale_loop();
  ConnectionOptions connection_;
  std::shared_ptr<const JobRegistry> registry_;
  WorkerPoolOptions options_;
  mutable std::mutex mu_;
  std::mutex stop_mu_;  // serialises stop() calls (held while workers finish their jobs)
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::uint64_t retired_done_ = 0;
  std::uint64_t retired_abandoned_ = 0;
  JobStatsMap retired_stats_;   // of workers no longer in workers_
  Worker* retiring_ = nullptr;  // the worker the scaler is stopping (not in workers_ then)
  bool started_ = false;
  bool stopping_ = false;  // also set by a stop() from a job; run_until_signalled watches it
  bool paused_ = false;
  std::thread scaler_;
  friend void run_until_signalled(WorkerPool& pool);
};

/// For standalone worker binaries (opt-in; nothing is installed by default): starts the pool
/// and maps signals as Ruby Resque does — QUIT and TERM stop gracefully, INT too, USR2 pauses,
/// CONT resumes. Returns after the pool stopped; the previous handlers are restored.
void run_until_signalled(WorkerPool& pool);

}  // namespace resque
