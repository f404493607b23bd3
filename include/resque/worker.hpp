#pragma once
/// @file worker.hpp
/// A worker thread embedded in the application process: takes jobs crash-safely, performs
/// them through the registry and plugins, records outcomes the way Ruby and node record them.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "resque/events.hpp"
#include "resque/options.hpp"

namespace resque {

class JobRegistry;

/// Up to this many queues, a worker re-checks every queue from the top after each job (see
/// WorkerOptions::priority_recheck_interval for longer lists).
inline constexpr std::size_t kExactPriorityQueues = 16;

/// Worker settings. Plain struct with defaults; the Worker constructor throws ConfigError for
/// no queues, an interval that is not positive, or a host name with ':'. Between retries after
/// a Redis error a worker waits ConnectionOptions::reconnect_backoff_min, doubling up to
/// reconnect_backoff_max.
struct WorkerOptions {
  /// Queues in strict priority order (re-checked from the top after every job; for more than
  /// kExactPriorityQueues, see priority_recheck_interval). "*" means every queue in the
  /// `queues` set, alphabetically; Ruby's glob patterns ("mail_*") and exclusions ("!low")
  /// work too. Required (no default).
  std::vector<std::string> queues;
  /// For a worker on more than kExactPriorityQueues queues (after "*" and patterns are
  /// resolved): once a step has checked every queue and taken a job from one that holds more,
  /// the following steps take from that queue alone, without re-checking the queues above it,
  /// for up to this long. Checking 1,000 queues costs Redis ~0.3 ms per job; this makes a
  /// worker on "*" cost about what a worker on one queue costs. An enqueue by resque-cpp into
  /// any of the worker's queues, the queue running dry, or a pause end it at once, so only a
  /// job that another library (Ruby, node) pushed into a higher queue can wait, at most this
  /// long, behind jobs of a lower one. 0: re-check from the top after every job, as Ruby does.
  /// Default 100 ms. Negative: ConfigError.
  std::chrono::milliseconds priority_recheck_interval{100};
  /// How often an idle worker looks for jobs that were enqueued by other libraries (jobs
  /// enqueued by resque-cpp wake it at once). Default 1 s.
  std::chrono::milliseconds poll_interval{1000};
  /// How often the heartbeat (workers:heartbeat, worker:ping:<name>) is refreshed. Default 5 s.
  std::chrono::milliseconds heartbeat_interval{5000};
  /// Host name used in the worker id. Default: gethostname().
  std::string host;
  /// Largest payload performed: a bigger job is not decoded but goes to the failed list whole
  /// (resque::EncodingError naming both sizes). 0: no limit. Default kDefaultMaxPayloadBytes
  /// (64 MiB).
  std::size_t max_payload_bytes = kDefaultMaxPayloadBytes;
  /// Events (default: none).
  WorkerEvents events;
  /// Log output. Default (empty): default_logger(), warnings and errors to stderr.
  LogFunction log;
};

/// Upper bounds (seconds) of the perform-duration histogram buckets in JobStats; the last
/// bucket counts everything longer. Prometheus' default buckets, extended to a minute.
inline constexpr std::array<double, 13> kPerformBuckets{0.005, 0.01, 0.025, 0.05, 0.1,  0.25, 0.5,
                                                        1.0,   2.5,  5.0,   10.0, 30.0, 60.0};

/// What the workers did with the jobs of one class on one queue since they were created (and,
/// from Scheduler::job_stats(), what a scheduler recovered from dead workers). Plain counters,
/// for applications without Prometheus (and what resque::prometheus exports).
struct JobStats {
  /// Performed successfully (Resque's stat:processed counts failed jobs too).
  std::uint64_t processed = 0;
  /// Failed: a failure record was written.
  std::uint64_t failed = 0;
  /// Failed, and a plugin re-enqueued it for a later retry instead (Retry).
  std::uint64_t retried = 0;
  /// Not run: a plugin put it back on its queue (JobLock busy, ConcurrencyLimit full).
  std::uint64_t re_enqueued = 0;
  /// Not run: a before_perform hook dropped it.
  std::uint64_t vetoed = 0;
  /// Scheduler only: jobs found in a dead worker's hands (its in-flight list, or a Ruby/node
  /// worker's current job) and recovered, i.e. put back on their queue or sent to the failed
  /// list; recovered_failed counts those of them that went to the failed list. Always 0 in a
  /// Worker's or WorkerPool's job_stats().
  std::uint64_t recovered = 0;
  std::uint64_t recovered_failed = 0;
  /// Sum and count of perform durations (processed, failed and retried jobs), and their
  /// histogram: perform_buckets[i] counts durations <= kPerformBuckets[i] and above the
  /// previous bound; the last element counts the longer ones (not cumulative).
  std::chrono::microseconds perform_time{0};
  std::uint64_t performed = 0;
  std::array<std::uint64_t, kPerformBuckets.size() + 1> perform_buckets{};
  /// Queue latency (from the payload's "enqueued_at", see Queue::EnqueueOptions, to the start
  /// of its perform) of the jobs that carried one: sum, count and histogram as above.
  std::chrono::microseconds latency_time{0};
  std::uint64_t latency_samples = 0;
  std::array<std::uint64_t, kPerformBuckets.size() + 1> latency_buckets{};
  /// Adds another's counts (summing workers).
  JobStats& operator+=(const JobStats& o);
};

/// JobStats by {class, queue}.
using JobStatsMap = std::map<std::pair<std::string, std::string>, JobStats>;

/// A worker's state for readiness and liveness probes. Reading it takes no Redis round trip.
struct WorkerHealth {
  /// The worker's loop is running (start() or run() until it stopped).
  bool running = false;
  /// Its last Redis round trip succeeded (false from a failure until the next success, and
  /// before the first).
  bool connected = false;
  /// It is registered in Redis' workers set (from registration to unregistration).
  bool registered = false;
  /// It takes no new jobs (pause() or the pause-all-workers key).
  bool paused = false;
  /// Jobs being performed now (0 or 1).
  std::size_t jobs_in_flight = 0;
  /// As jobs_done() and jobs_abandoned().
  std::uint64_t jobs_done = 0;
  std::uint64_t jobs_abandoned = 0;
  /// The last error the worker recovered from (Redis unreachable, a refused password...) and
  /// when it happened; empty and the epoch when there was none.
  std::string last_error;
  std::chrono::system_clock::time_point last_error_at{};
  /// When the last job finished (performed, failed or skipped); the epoch before the first.
  std::chrono::system_clock::time_point last_job_finished_at{};
};

/// One worker. Runs on its own thread after start() (or on the caller's thread in run()), with
/// its own Redis connection.
///
/// Crash safety: one Lua script finishes the previous job and takes the next one, moving it
/// from its queue into the worker's in-flight list and writing worker:<id> in the same step, so
/// a process killed at any instant leaves every job queued, in flight (recovered by a
/// Scheduler), done or failed.
///
/// Thread-safety: start(), stop(), pause(), resume(), id() and the accessors may be called from
/// any thread; run() blocks the calling thread.
class Worker {
 public:
  Worker(ConnectionOptions connection, std::shared_ptr<const JobRegistry> registry,
         WorkerOptions options);
  /// Stops gracefully (finishing the current job) and joins. On the worker's own thread (a job
  /// destroying its Worker) it only asks the worker to stop; the thread ends by itself.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// "host:pid:queues" for the process's first worker, "host:pid+N:queues" for the others.
  const std::string& id() const;
  /// id() without the queues: "host:pid" or "host:pid+N" (node's worker name).
  const std::string& name() const;

  /// Starts the worker thread. Registration errors (Redis down) are retried in the thread.
  void start();
  /// Runs the worker loop on the calling thread until stop() is called.
  void run();
  /// Asks the worker to stop after its current job; returns at once.
  void request_stop();
  /// Stops: finishes the current job, unregisters, joins. With a deadline: if the job is still
  /// running when it passes, the worker gives up on it (it stays in flight for recovery by a
  /// Scheduler; logged at warning level and counted in jobs_abandoned()) and returns false. The
  /// job's thread is left to finish: it calls no more events or log functions and does not
  /// record the job (its plugins' after_perform hooks still run, releasing their locks).
  ///
  /// Called on the worker's own thread (from a job, hook or event callback, on_ping included,
  /// which runs on the process's heartbeat thread) it only asks the worker to stop and returns
  /// true at once: the worker stops after the current job, and the destructor or a later stop()
  /// from another thread joins its thread.
  bool stop(std::chrono::milliseconds deadline = std::chrono::milliseconds::max());
  /// Stops taking new jobs after the current one (until resume()).
  void pause();
  void resume();
  bool running() const;
  /// True while a job is being performed.
  bool busy() const;
  /// True while the worker waits for work: its last look found nothing to take, or it is
  /// paused. A worker going from job to job is never idle, even between jobs.
  bool idle() const;
  /// Jobs finished by this worker object (performed, failed or skipped).
  std::uint64_t jobs_done() const;
  /// Jobs given up on by stop(deadline) (each logged at warning level).
  std::uint64_t jobs_abandoned() const;
  /// A snapshot of the worker's state (no Redis round trip): cheap enough for every probe.
  WorkerHealth health() const;
  /// Copies of the job counters by {class, queue}.
  JobStatsMap job_stats() const;
  /// True when called on this worker's own thread (inside one of its jobs, hooks or events),
  /// or inside an on_ping callback (of any worker: they share the heartbeat thread).
  bool on_own_thread() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace resque
