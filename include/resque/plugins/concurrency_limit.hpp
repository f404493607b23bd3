#pragma once
/// @file concurrency_limit.hpp
/// ConcurrencyLimit: at most N performs at once per key across every worker of the fleet.
/// resque-cpp's own (none of the Resques has it); node and Ruby workers do not honour it.

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "resque/lock.hpp"
#include "resque/plugin.hpp"

namespace resque::plugins {

/// A counting semaphore in Redis (resque::Semaphore): before_perform takes one of `limit` slots of
/// the job's key; after_perform frees it. When every slot is taken the job is re-enqueued after
/// `re_enqueue_delay` through the delayed queue (a Scheduler must be running) and the worker
/// emits on_re_enqueue with this plugin's name; nothing is counted in the stats.
///
/// On the wire: sorted set `<ns>:resque-cpp:concurrency:<key>`, members = holders (worker
/// ids), scores = when the slot expires (server time, ms). Crash-safe: a holder that dies
/// frees its slot `slot_ttl` after it took it, and the set expires with its last member. So
/// slot_ttl must exceed the longest perform: a perform outliving it loses its slot, and one
/// more job may start. A restarted worker with the same id takes its dead predecessor's slot
/// back at once.
///
/// Several limits can be listed on one job (e.g. one per requester and one overall); the
/// slots taken by the earlier ones are freed when a later one refuses.
///
/// Crash window: as for JobLock, a worker killed between the re-enqueue and its finish step
/// leaves the job both delayed and in flight (it may run once more).
///
/// Thread-safety: immutable after construction; hooks may run on any number of threads.
class ConcurrencyLimit : public Plugin {
 public:
  struct Options {
    /// Most performs at once per key. Default 1.
    long long limit = 1;
    /// The key from the job (e.g. the requester from args[1]). Default (empty): the class
    /// name, i.e. at most `limit` performs of this class at once.
    std::function<std::string(const Job&)> key;
    /// How long a slot lives without being released (crash recovery). Default 3600 s.
    std::chrono::milliseconds slot_ttl{std::chrono::hours(1)};
    /// Delay before a refused job is tried again. Default 1000 ms.
    std::chrono::milliseconds re_enqueue_delay{1000};
    /// Name in events and logs; set it to tell several limits on one job apart.
    /// Default "ConcurrencyLimit".
    std::string name = "ConcurrencyLimit";
  };

  /// What ConcurrencyLimit carries in the HookContext from before_perform to its release: the
  /// holder token per slot set key (several limits on one job share it).
  struct State {
    std::map<std::string, std::string> held;
  };

  /// Throws ConfigError when limit < 1 or slot_ttl is not positive.
  explicit ConcurrencyLimit(Options options);
  explicit ConcurrencyLimit(long long limit);

  std::string name() const override { return options_.name; }
  bool before_perform(HookContext& ctx) override;
  void after_perform(HookContext& ctx) override;
  void perform_aborted(HookContext& ctx) override;

  /// The slot set key of `job` under these options.
  std::string slot_key(const Keys& keys, const Job& job) const;
  /// The Semaphore of `job` under these options.
  Semaphore semaphore(const Keys& keys, const Job& job) const;
  const Options& options() const { return options_; }

 private:
  void release(HookContext& ctx);
  Options options_;
};

}  // namespace resque::plugins
