#pragma once
// Internals of resque::Scheduler shared by scheduler*.cpp: the state, and how a Ruby-style
// schedule config is read.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "emit.hpp"
#include "log_limit.hpp"
#include "own_thread.hpp"
#include "resque/connection.hpp"
#include "resque/keys.hpp"
#include "resque/queue.hpp"
#include "resque/scheduler.hpp"
#include "time/cron.hpp"

namespace resque {

namespace detail {

/// One recurring schedule as resque-scheduler reads its config hash.
struct ScheduleSpec {
  std::string klass;
  std::string queue;
  Json args = Json::array();
  std::optional<CronExpr> cron;
  std::int64_t every = 0;  // seconds, when not cron
  /// The config's env/rails_env excludes this scheduler's env (Ruby skips it, so do we).
  bool env_excluded = false;
  std::optional<std::int64_t> next_after(std::int64_t t) const {
    if (cron) return cron->next_after(t);
    return t + every;
  }
};

/// Reads a config ({"class","cron"|"every","queue","args","rails_env"|"env",...}). Throws
/// ConfigError saying what is wrong with it.
ScheduleSpec interpret_schedule(const std::string& name, const Json& config,
                                const SchedulerOptions& options);

}  // namespace detail

struct Scheduler::State {
  ConnectionOptions copts;
  std::shared_ptr<const JobRegistry> registry;
  SchedulerOptions opts;
  Keys keys;
  std::shared_ptr<ConnectionPool> pool;
  std::unique_ptr<Queue> hook_queue;  // handed to hooks (its own pool: hooks may enqueue)

  // Polls (thread and run_once) are serialised by poll_mu; everything below it that has no
  // other guard is touched only with poll_mu held.
  std::mutex poll_mu;
  std::atomic<bool> leader{false};
  std::atomic<std::int64_t> leader_until_ms{0};  // steady-clock ms: lock TTL after last renewal
  int last_acquire = 0;
  std::chrono::steady_clock::time_point last_dead_check{};
  // The dead-worker check's last full keyspace scan (for orphans; see scheduler_recover.cpp).
  std::optional<std::chrono::steady_clock::time_point> last_orphan_scan;

  struct Runtime {
    std::string text;  // the config as last seen (JSON)
    std::optional<detail::ScheduleSpec> spec;
    std::int64_t first_seen = 0;  // Redis time it was first seen: the base before any fire
  };
  std::map<std::string, Runtime> runtime;

  std::mutex sched_mu;                 // guards memory_schedules
  std::map<std::string, Json> memory;  // in-memory schedules (add_cron, add_every, ...)

  std::mutex run_mu;  // guards stop_flag/thread
  std::condition_variable cv;
  bool stop_flag = false;
  std::thread thread;

  ~State() { detail::join_or_detach(thread); }  // own_thread.hpp

  void log(LogLevel level, const std::string& msg) const {
    if (opts.log) opts.log(level, msg);
  }
  template <class F, class... A>
  void emit(const F& f, A&&... a) const {
    detail::safe_emit(opts.log, "scheduler", opts.name, f, std::forward<A>(a)...);
  }
  // Handled errors: logged rate-limited by kind (a poll that fails every second while Redis is
  // down must not flood the default stderr sink), reported to on_error every time.
  void error(const std::string& msg) {
    {
      std::lock_guard<std::mutex> lock(health_mu);
      last_error = msg;
      last_error_at = std::chrono::system_clock::now();
    }
    detail::log_retried_error(opts.log, limiter, "scheduler=" + opts.name, msg);
    emit(opts.events.on_error, msg);
  }
  detail::LogLimiter limiter;
  // For health().
  std::atomic<bool> connected{false};
  std::atomic<std::int64_t> last_poll_ms{0};  // system clock, ms since the epoch
  mutable std::mutex health_mu;               // guards last_error*
  std::string last_error;
  std::chrono::system_clock::time_point last_error_at{};
  // For job_stats(): the jobs recover_dead_workers() recovered.
  mutable std::mutex stats_mu;  // guards recovered_stats
  JobStatsMap recovered_stats;
  // Counts one recovered job (raw payload; `queue` where the caller knows it better than the
  // payload does).
  void count_recovered(const std::string& raw, const std::string& queue, bool to_failed);

  /// One poll; returns what it did and sets `more` when work is left for an immediate poll.
  SchedulerPoll poll(bool force_dead_check, bool& more);
  void set_leader(bool is_leader, const char* why);

  // scheduler_promote.cpp: promotes due delayed jobs for up to `budget`; sets `more` if some
  // are left.
  std::size_t promote(Connection& conn, std::chrono::milliseconds budget, bool& more);
  // scheduler_recurring.cpp
  void load_schedules(Connection& conn, std::int64_t now);
  std::size_t fire_schedules(Connection& conn, std::int64_t now);
  // scheduler_recover.cpp
  std::size_t recover_dead_workers(Connection& conn);
};

}  // namespace resque
