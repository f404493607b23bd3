#pragma once
/// @file worker.hpp
/// A worker thread embedded in the application process: takes jobs crash-safely, performs
/// them through the registry and plugins, records outcomes the way Ruby and node record them.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "resque/events.hpp"
#include "resque/options.hpp"

namespace resque {

class JobRegistry;

/// Worker settings. Plain struct with defaults.
struct WorkerOptions {
  /// Queues in strict priority order (re-checked from the top after every job). "*" means
  /// every queue in the `queues` set, alphabetically; Ruby's glob patterns ("mail_*") and
  /// exclusions ("!low") work too. Required (no default).
  std::vector<std::string> queues;
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
  /// Events and log output (default: none).
  WorkerEvents events;
  LogFunction log;
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
  /// Stops gracefully (finishing the current job) and joins.
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
  /// Scheduler, which is logged) and returns false. The job's thread is left to finish: it calls
  /// no more events or log functions and does not record the job (its plugins' after_perform
  /// hooks still run, releasing their locks).
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

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace resque
