#pragma once
// Operator actions and views that the public Queue API does not offer as such, built on it
// (and on its connection pool for a few plain commands and one script). Shared by resque-cli's
// commands and the web dashboard. Every function may throw resque::Error.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "resque/queue.hpp"

namespace resque::cli {

/// Every key matching `pattern` (SCAN, deduplicated, sorted).
std::vector<std::string> scan_keys(Connection& conn, const std::string& pattern);

/// Empties a queue but keeps it in the queues set (resque-web's "clear"). Returns the number
/// of jobs removed.
long long clear_queue(Queue& q, const std::string& queue);

/// Pushes every job delayed at `timestamp` onto its queue now (resque-web's "Enqueue now"),
/// in one script that skips items someone else moved meanwhile. Ruby items go as Ruby's
/// scheduler pushes them ({"class","args"}), others as stored. Items that are not jobs with a
/// queue stay where they are. Returns how many were pushed.
std::size_t run_delayed_now(Queue& q, std::int64_t timestamp);

/// A failure record read for display, whoever wrote it (Ruby, node, resque-cpp).
struct FailureView {
  long long index = 0;
  std::string klass, queue, exception, error, worker;
  Json args = Json::array();
  std::vector<std::string> backtrace;
  std::optional<std::int64_t> failed_at, retried_at;
  std::string failed_at_text;  ///< as stored
  Json entry;                  ///< the decoded record (null when not JSON)
  std::string raw;             ///< the stored text
};
FailureView view_failure(const FailedJob& f);
Json failure_json(const FailureView& v, bool with_backtrace);

/// Exact-match filters (an empty field matches everything).
struct FailedFilter {
  std::string klass, queue, exception;
  bool empty() const { return klass.empty() && queue.empty() && exception.empty(); }
  bool matches(const FailureView& v) const;
};
/// Entries from list index `start` on that match `filter`, at most `count` (0 = all).
std::vector<FailureView> failed_page(Queue& q, const FailedFilter& filter, long long start,
                                     long long count);
/// The entry at `index`; throws NotFound when there is none.
FailureView failed_at_index(Queue& q, long long index);

/// A registered worker with what it is doing and its last sign of life.
struct WorkerView {
  WorkerInfo info;
  bool busy = false;
  std::string queue;                      ///< of the current job
  Json payload;                           ///< the current job's payload (null when idle)
  std::optional<std::int64_t> run_at;     ///< when the current job started
  std::optional<std::int64_t> started;    ///< when the worker started (worker:<id>:started)
  std::optional<std::int64_t> heartbeat;  ///< workers:heartbeat or node's ping, the later
};
std::vector<WorkerView> worker_views(Queue& q);
Json worker_json(const WorkerView& w, std::int64_t now);

/// Unregisters registered workers whose last heartbeat or ping is older than `threshold`
/// seconds (their current job goes to the failed list, as Ruby's pruning does); workers with
/// no heartbeat at all are left alone. Returns the pruned ids.
std::vector<std::string> prune_dead_workers(Queue& q, std::int64_t now, std::int64_t threshold);

/// resque-scheduler's persisted schedules (persistent_schedules), name -> config; a config
/// that is not JSON is kept as {"raw": text}. Adds "last_enqueued_at" from
/// delayed:last_enqueued_at when known.
std::map<std::string, Json> persisted_schedules(Queue& q);
/// Enqueues a schedule's job now (resque-web's "Queue now"); throws NotFound for an unknown
/// name and ConfigError for a config without a queue. Returns the job.
Job fire_schedule(Queue& q, const std::string& name);

/// A lock key with its value and time to live (-1: none).
struct LockView {
  std::string key, value;
  long long ttl = -1;
};
/// lock:* and workerslock:* (Queue::locks) plus the schedulers' leader locks.
std::vector<LockView> lock_views(Queue& q);

/// The numbers of the overview page and `stats`.
Json overview_json(Queue& q);

}  // namespace resque::cli
