#pragma once
// Typed calls of the worker scripts (src/lua/worker_*.lua, force_clean_worker.lua,
// recover_worker.lua): an argument struct in, a result struct out. Each wrapper is the one
// place that knows its script's KEYS/ARGV layout.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/worker.hpp"
#include "resque/connection.hpp"

namespace resque::protocol {

/// worker_register.lua: one script, so a worker is never half-registered.
void register_worker(Connection& conn, const WorkerKeys& wk, const Registration& reg);

/// worker_unregister.lua. false: a job is still in flight, so the registration stays for
/// dead-worker recovery.
bool unregister_worker(Connection& conn, const WorkerKeys& wk);

/// How the previous job of a worker step ended.
enum class Finish { None, Ok, Fail, Skip, Retry };

struct StepArgs {
  Finish finish = Finish::None;
  std::string finished_token;  ///< the finished job's token
  /// Its raw bytes (only their SHA-1 is sent). Must stay valid during run().
  std::string_view finished_payload;
  std::string failure;  ///< its failure record (Finish::Fail)
  bool take = true;     ///< take the next job
  std::string run_at;   ///< the new status's run_at
  std::string token;    ///< the token for the job taken now
  /// Take only from queues[*only_queue] (the caller knows the queues above it were empty a
  /// moment ago): the script is sent that one queue, not the whole list. Unset: every queue.
  std::optional<std::size_t> only_queue;
};

struct StepResult {
  enum class Kind { Idle, Paused, Job } kind = Kind::Idle;
  std::string queue, payload, token;  ///< Kind::Job
  /// Kind::Job: the queue may hold more jobs (a woken worker then wakes another).
  bool more = true;
};

/// worker_step.lua for one worker: finishes the previous job and takes the next, one round
/// trip. It keeps the keys that do not change between steps (a worker runs it for every job),
/// and rebuilds the queue keys only when the queue list changes.
/// Thread-safety: one per worker thread.
class WorkerStep {
 public:
  WorkerStep(const Keys& keys, const WorkerKeys& worker);
  /// Throws resque::Error when Redis fails (the step is idempotent: run it again with the same
  /// args). `queues` in priority order.
  StepResult run(Connection& conn, const StepArgs& args, const std::vector<std::string>& queues);

 private:
  const Keys& keys_;
  const WorkerKeys& worker_;
  std::vector<std::string> keys_v_, argv_, queues_;
  std::vector<std::string_view> key_views_, arg_views_;
};

/// force_clean_worker.lua: what the caller saw, and the record built from it.
struct ForceCleanArgs {
  std::optional<std::string> status;    ///< worker:<id> as read
  std::optional<std::string> inflight;  ///< first in-flight entry as read
  std::string record;                   ///< failure record ("" when the worker was idle)
};
/// false: the worker's status or job changed since they were read (read again).
bool force_clean_worker(Connection& conn, const Keys& keys, const WorkerKeys& wk,
                        const ForceCleanArgs& args);

/// recover_worker.lua.
struct RecoverArgs {
  enum class Kind { Cpp, Ruby, Node } kind = Kind::Cpp;
  std::optional<std::string> heartbeat, ping, status;  ///< as the scheduler saw them
  long long max_recoveries = 3;
  long long counter_ttl = 0;   ///< seconds
  std::string foreign_record;  ///< a Ruby/node worker's job failure ("" when idle)
  struct Item {
    std::string payload;  ///< exact bytes in the in-flight list
    std::string queue;    ///< "" when no queue is known
    std::string record;   ///< failure record used when it is not put back
  };
  std::vector<Item> items;  ///< the in-flight list as read (cpp only)
};
struct RecoverResult {
  bool changed = false;  ///< the worker beat or moved on: nothing was done
  std::vector<std::string> requeued, failed;
};
RecoverResult recover_worker(Connection& conn, const Keys& keys, const WorkerKeys& wk,
                             const RecoverArgs& args);

}  // namespace resque::protocol
