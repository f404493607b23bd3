#pragma once
/// @file queue_lock.hpp
/// QueueLock: at most one copy of a job waiting in its queue. node-resque's plugin of the same
/// name, with its key and value, so node and resque-cpp clients refuse each other's duplicates.

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "resque/lock.hpp"
#include "resque/plugin.hpp"
#include "resque/plugins/lock_key_style.hpp"

namespace resque::plugins {

/// Refuses an enqueue while the same job (class, queue, args, or a custom identity) is already
/// queued, and releases the lock when a worker takes the job.
///
/// On the wire: `<ns>:lock:<class>:<queue>:<JSON args>` = now + lock_timeout + 1 (epoch
/// seconds), TTL lock_timeout, exactly as node-resque writes it. Built on resque::Lock
/// (LockValue::ExpiryStamp, take_over_stale): taken with one script (node's SETNX-then-EXPIRE
/// can leave a lock without TTL); a lock whose value is in the past is stale and taken over
/// atomically, which node clients agree with. enqueue_aborted releases it only if still ours.
///
/// Release: before_perform deletes the lock (node does the same since node-resque #228). The
/// *worker's* job definition must list QueueLock for the lock to be released; this also
/// releases locks of jobs enqueued by node clients. List QueueLock before plugins that
/// re-enqueue from before_perform (JobLock, ConcurrencyLimit): a job put back in the delayed
/// queue has then released its lock, so promoting it is not refused by the lock it holds.
/// Add DelayQueueLock to refuse duplicates while a job waits in the delayed queue.
///
/// Ruby's conventions (Options::key_style, see LockKeyStyle): ResqueLockTimeout is
/// resque-lock-timeout's `@loner` lock (`<ns>:loner:lock:<class>:<identifier>`, also refused
/// while the class's run lock `<ns>:lock:<class>:<identifier>` is held, released in
/// before_perform as Ruby's around_perform does); ResqueLock is defunkt resque-lock's
/// (`<ns>:lock:<class>-<args.to_s>`, released after the perform, failed or not, as Ruby's
/// around_perform's ensure does, and kept when a later plugin re-enqueues or vetoes the job).
/// Set lock_timeout to the Ruby class's (`@lock_timeout`; resque-lock's `lock_timeout`).
/// Crash windows, as in Ruby: a client that dies between taking the lock and writing the job
/// leaves the lock until its stamp passes (with lock_timeout 0: until deleted by hand); so
/// does a ResqueLock-style worker that dies while performing.
///
/// Thread-safety: immutable after construction; hooks may run on any number of threads.
class QueueLock : public Plugin {
 public:
  struct Options {
    /// Lock TTL (node's lockTimeout, whole seconds). A job that waits longer in its queue
    /// loses its lock. Default 3600 s. 0 only with LockKeyStyle::ResqueLockTimeout: Ruby's
    /// "no timeout" (value `true`, never expires; a lost lock stays until deleted by hand).
    std::chrono::seconds lock_timeout{3600};
    /// Whose keys and values to use. Default LockKeyStyle::Node.
    LockKeyStyle key_style = LockKeyStyle::Node;
    /// The job's identity in the key, replacing node's JSON args: the key becomes
    /// `<ns>:lock:<class>:<queue>:<key(job)>`. E.g. catalog id and email from args 0 and 1,
    /// to lock on those two whatever the other args are. Default (empty): encode_json(args),
    /// node's key. (A node custom key meant to match must return that whole key.)
    /// ResqueLockTimeout: replaces Ruby's `identifier` (default ruby_join(args, "-"));
    /// ResqueLock: replaces Ruby's whole `lock` (the key is `<ns>:<key(job)>`).
    std::function<std::string(const Job&)> key;
  };

  /// What QueueLock carries in the HookContext from before_enqueue to its release: the token held,
  /// per lock key (ctx.state<QueueLock::State>()).
  struct State {
    std::map<std::string, std::string> held;
  };

  QueueLock();
  explicit QueueLock(Options options);

  std::string name() const override { return "QueueLock"; }
  bool before_enqueue(HookContext& ctx) override;
  void enqueue_aborted(HookContext& ctx) override;
  bool before_perform(HookContext& ctx) override;
  void after_perform(HookContext& ctx) override;

  /// The lock key of `job` under these options.
  std::string lock_key(const Keys& keys, const Job& job) const;
  /// ResqueLockTimeout: the run lock (JobLock's key in that style) that also refuses an
  /// enqueue while held; empty in the other styles.
  std::string run_lock_key(const Keys& keys, const Job& job) const;
  /// The Lock guarding `job` under these options.
  Lock lock(const Keys& keys, const Job& job) const;
  const Options& options() const { return options_; }

 private:
  Options options_;
};

}  // namespace resque::plugins
