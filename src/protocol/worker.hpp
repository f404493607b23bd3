#pragma once
// The wire shape of a worker: its name and id, the keys it owns, its status record
// (worker:<id>) and its registration (worker:<id>:started, workers:heartbeat, node's
// worker:ping:<name>). The one encoder and tolerant decoder of each; scripts receive what is
// built here and build none of it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resque/json.hpp"
#include "resque/keys.hpp"
#include "resque/queue.hpp"

namespace resque::protocol {

/// "host:pid" for a process's first worker (Ruby's form), "host:pid+N" for the N-th further
/// one (node's form, which Ruby's tools also read).
std::string worker_name(std::string_view host, long pid, int n);
/// "name:q1,q2" (Ruby's and node's id: name, then the queues joined by ',').
std::string worker_id(std::string_view name, const std::vector<std::string>& queues);
/// Splits a workers-set member: Ruby "host:pid:q1,q2", ours/node's "host:pid+N:q1,q2", or a
/// node worker with a name of the user's choice, "name:q".
WorkerInfo parse_worker_id(const std::string& id);
/// Validates a queue name that goes into keys and worker ids: non-empty, no ':' or ','.
/// Throws ConfigError naming `what`.
void validate_queue_name(std::string_view queue, std::string_view what = "queue name");

/// Every key one worker owns. `id` is the workers-set member, `name` the id without queues.
struct WorkerKeys {
  WorkerKeys(const Keys& keys, std::string id, std::string name);
  std::string id, name;
  std::string workers;         ///< the shared set (member: id)
  std::string heartbeats;      ///< the shared hash (field: id)
  std::string index;           ///< resque-cpp's index of its workers (Keys::cpp_workers)
  std::string status;          ///< worker:<id>
  std::string started;         ///< worker:<id>:started
  std::string inflight;        ///< inflight:<id> (resque-cpp)
  std::string inflight_queue;  ///< the in-flight job's queue (Keys::inflight_queue)
  std::string processed;       ///< stat:processed:<id>
  std::string failed;          ///< stat:failed:<id>
  std::string ping;            ///< worker:ping:<name> (node and resque-cpp)
  std::string name_processed;  ///< stat:processed:<name> (node's per-worker stats)
  std::string name_failed;     ///< stat:failed:<name>
  /// The keys the one teardown deletes (scripts/includes/teardown_worker.lua), beside
  /// removing the id from `workers` and `heartbeats`. `with_name_keys`: also the keys named by
  /// `name` (ping, node's stats); off for a Ruby worker, whose name no ping belongs to.
  std::vector<std::string> own_keys(bool with_name_keys = true) const;
};

/// worker:<id> while a job runs: Ruby's {"queue","run_at","payload"} followed by node's
/// "worker" (node's allWorkingOn files a status under it) and our "token", always last.
/// The worker step builds it inside its script (only there are the queue and payload known),
/// from these pieces: head + JSON(queue) + mid + payload + tail.
struct StatusPieces {
  std::string head;  ///< {"queue":
  std::string mid;   ///< ,"run_at":"...","payload":
  std::string tail;  ///< ,"worker":"name","token":"tok"}
};
StatusPieces status_pieces(std::string_view run_at, std::string_view name, std::string_view token);
/// The tail alone: how the finish recognises the status of the job it finishes.
std::string status_tail(std::string_view name, std::string_view token);
/// The whole status (same bytes as the script makes). A payload that is not a JSON object
/// ({...}) is embedded as a JSON string, so the status stays valid JSON for resque-web.
std::string encode_status(std::string_view queue, std::string_view payload, std::string_view run_at,
                          std::string_view name, std::string_view token);

/// A decoded worker status, whichever library wrote it. Missing fields are empty.
struct WorkerStatus {
  std::string queue;
  std::string run_at;
  std::string worker;
  std::string token;
  Json payload;  ///< null when absent
  /// The class named by the payload, "" when none.
  std::string klass() const;
};
/// nullopt when `raw` is not a JSON object.
std::optional<WorkerStatus> decode_status(std::string_view raw);

/// Ruby's message for a job whose worker exited without finishing it (DirtyExit and
/// PruneDeadWorkerDirtyExit): "Worker <id> did not gracefully exit while processing <class>".
std::string dirty_exit_error(std::string_view worker_id, std::string_view klass);

/// node's worker:ping:<name> value {"time":secs,"name":..,"queues":..}.
std::string encode_ping(std::int64_t time, std::string_view name, std::string_view queues);
struct Ping {
  std::optional<std::int64_t> time;
  std::string queues;
};
/// Tolerant: a value that is not JSON or has no numeric time gives an empty time.
Ping decode_ping(std::string_view raw);

/// The values a worker registers with at `now` (Redis' clock, whole seconds).
struct Registration {
  std::string started;    ///< worker:<id>:started, Ruby Time#to_s
  std::string heartbeat;  ///< workers:heartbeat value, ISO 8601 with offset (Ruby's Time.parse)
  std::string ping;       ///< worker:ping:<name>
};
Registration registration(std::int64_t now, std::string_view name, std::string_view queues);
/// Seconds since the epoch of a workers:heartbeat value, or nullopt when unreadable.
std::optional<std::int64_t> decode_heartbeat(std::string_view raw);

}  // namespace resque::protocol
