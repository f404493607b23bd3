#pragma once
/// @file events.hpp
/// Callbacks for what workers and schedulers do, and the logging hook. No logging library is
/// required: pass a function that forwards to yours.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "resque/job.hpp"

namespace resque {

enum class LogLevel { Debug, Info, Warning, Error };

/// Receives log lines. Called from worker and scheduler threads; must be thread-safe. A line
/// starts with structured fields where they are known: "worker=<id>" or "scheduler=<name>",
/// then "queue=<queue> class=<class>" for a job, then the message.
///
/// Default (an empty LogFunction in WorkerOptions / SchedulerOptions): default_logger(), i.e.
/// warnings and errors go to stderr. Set your own function to replace it, e.g. to forward to
/// spdlog; a function that ignores everything silences the library.
using LogFunction = std::function<void(LogLevel, std::string_view)>;

/// A log function writing "<UTC time> resque [level] message" lines to stderr at `min` level
/// and above, e.g. "2026-11-30T13:51:17.123Z resque [error] worker=host:12:q ...".
LogFunction stderr_logger(LogLevel min = LogLevel::Info);

/// The logger used when none is set: stderr_logger(LogLevel::Warning).
LogFunction default_logger();

/// Worker events. Every callback is optional, runs on the worker's own thread (on_ping on the
/// heartbeat thread), and must not throw (a throwing callback is caught and logged).
struct WorkerEvents {
  std::function<void(const std::string& worker_id)> on_start;
  std::function<void(const std::string& worker_id)> on_end;
  /// Each time an idle worker looks for work.
  std::function<void(const std::string& worker_id)> on_poll;
  /// A job was taken and is about to be performed.
  std::function<void(const std::string& worker_id, const Job& job)> on_job;
  std::function<void(const std::string& worker_id, const Job& job,
                     std::chrono::microseconds duration)>
      on_success;
  /// The job failed; `exception` and `error` are the failure record's fields.
  std::function<void(const std::string& worker_id, const Job& job, const std::string& exception,
                     const std::string& error)>
      on_failure;
  /// A plugin re-enqueued the job instead of running it (JobLock busy, ConcurrencyLimit full)
  /// or instead of failing it (Retry).
  std::function<void(const std::string& worker_id, const Job& job, const std::string& plugin)>
      on_re_enqueue;
  /// A plugin's before_perform vetoed the job and did not re-enqueue it: the job is dropped
  /// (JobLock with re_enqueue off, a custom plugin). No stats change, no failure entry.
  std::function<void(const std::string& worker_id, const Job& job, const std::string& plugin)>
      on_veto;
  /// A Redis or internal error the worker recovered from (it logs, backs off and goes on).
  std::function<void(const std::string& worker_id, const std::string& message)> on_error;
  /// The worker stopped taking jobs (pause() or the pause-all-workers key).
  std::function<void(const std::string& worker_id)> on_pause;
  /// A heartbeat was written.
  std::function<void(const std::string& worker_id)> on_ping;
};

}  // namespace resque
