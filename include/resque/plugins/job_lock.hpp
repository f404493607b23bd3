#pragma once
/// @file job_lock.hpp
/// JobLock: at most one copy of a job performing at a time. node-resque's plugin of the same
/// name, with its key and value, so node and resque-cpp workers never run the same job at once.

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "resque/lock.hpp"
#include "resque/plugin.hpp"
#include "resque/plugins/lock_key_style.hpp"

namespace resque::plugins {

/// Takes a lock in before_perform and releases it in after_perform. When the lock is busy the
/// job is not performed: it is re-enqueued after `re_enqueue_delay` through the delayed queue
/// (as node does, so a Scheduler must be running) and the worker emits on_re_enqueue, or, with
/// re_enqueue off, dropped and the worker emits on_veto. Neither counts in the stats.
///
/// On the wire: `<ns>:workerslock:<class>:<queue>:<JSON args>` = now + lock_timeout + 1 (epoch
/// seconds), SET NX EX lock_timeout, as node writes it: a resque::Lock with
/// LockValue::ExpiryStamp. Released only by its holder: the value written is kept in the
/// HookContext (State) and the lock is deleted only if it still holds it (node deletes
/// unconditionally, which frees a lock someone else took after ours expired). A holder that
/// dies keeps the lock until its TTL, so lock_timeout must exceed the longest perform; a
/// perform outliving it may then run concurrently with another copy.
///
/// Ruby's convention (Options::key_style = LockKeyStyle::ResqueLockTimeout): the run lock of
/// resque-lock-timeout, `<ns>:lock:<class>:<identifier>` = Time.now.to_i + lock_timeout (or
/// `true` with lock_timeout 0), so a Ruby worker's around_perform_lock and ours never perform
/// the same class and identifier at once. Ruby drops a job whose lock is busy (`lock_failed`);
/// ours re-enqueues it unless re_enqueue is off. LockKeyStyle::ResqueLock is refused (that
/// plugin has no run lock: use QueueLock with it).
///
/// Crash window: the re-enqueue and the worker's finish step are two steps; a worker killed
/// between them leaves the copy both delayed and in flight, so it may run once more.
///
/// Thread-safety: immutable after construction; hooks may run on any number of threads.
class JobLock : public Plugin {
 public:
  struct Options {
    /// Lock TTL (node's lockTimeout, whole seconds). Default 3600 s. 0 only with
    /// LockKeyStyle::ResqueLockTimeout: Ruby's "no timeout" (value `true`, never expires; a
    /// worker that dies holding it leaves it until deleted by hand, as in Ruby).
    std::chrono::seconds lock_timeout{3600};
    /// Whose keys and values to use: Node or ResqueLockTimeout. Default LockKeyStyle::Node.
    LockKeyStyle key_style = LockKeyStyle::Node;
    /// true: a job whose lock is busy is re-enqueued after re_enqueue_delay; false: dropped.
    /// Default true (node's reEnqueue).
    bool re_enqueue = true;
    /// Delay of that re-enqueue (node's enqueueTimeout). Default 1001 ms.
    std::chrono::milliseconds re_enqueue_delay{1001};
    /// The job's identity in the key, replacing node's JSON args:
    /// `<ns>:workerslock:<class>:<queue>:<key(job)>`. Default (empty): encode_json(args).
    /// ResqueLockTimeout: replaces Ruby's `identifier` (default ruby_join(args, "-")).
    std::function<std::string(const Job&)> key;
  };

  /// What JobLock carries in the HookContext from before_perform to its release: the token held,
  /// per lock key (ctx.state<JobLock::State>()).
  struct State {
    std::map<std::string, std::string> held;
  };

  JobLock();
  explicit JobLock(Options options);

  std::string name() const override { return "JobLock"; }
  bool before_perform(HookContext& ctx) override;
  void after_perform(HookContext& ctx) override;
  void perform_aborted(HookContext& ctx) override;

  /// The lock key of `job` under these options.
  std::string lock_key(const Keys& keys, const Job& job) const;
  /// The Lock guarding `job` under these options.
  Lock lock(const Keys& keys, const Job& job) const;
  const Options& options() const { return options_; }

 private:
  void release(HookContext& ctx);
  Options options_;
};

}  // namespace resque::plugins
