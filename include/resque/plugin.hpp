#pragma once
/// @file plugin.hpp
/// Job plugins: hooks around enqueue and perform (QueueLock, JobLock, Retry, ... and custom
/// ones). A plugin is a small class overriding the hooks it needs; the built-in plugins use
/// nothing that custom plugins cannot.

#include <exception>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "resque/job.hpp"
#include "resque/keys.hpp"

namespace resque {

class Connection;
class Queue;

/// What a hook sees. `redis` is the connection of the Queue or Worker running the hook (use it
/// from the hook's thread only); `queue` can enqueue (e.g. a delayed re-enqueue).
/// One HookContext lives from the first to the last hook of one enqueue or one perform, so a
/// plugin can carry values between its hooks in `data`.
struct HookContext {
  HookContext(const Job& job_, Connection& redis_, const Keys& keys_, Queue& queue_,
              std::string worker_id_ = {}, std::exception_ptr error_ = nullptr,
              std::string re_enqueued_by_ = {}, bool skipped_ = false)
      : job(job_),
        redis(redis_),
        keys(keys_),
        queue(queue_),
        worker_id(std::move(worker_id_)),
        error(std::move(error_)),
        re_enqueued_by(std::move(re_enqueued_by_)),
        skipped(skipped_) {}

  /// The job: class, queue, args (as decoded from or about to be written to Redis).
  const Job& job;
  Connection& redis;
  const Keys& keys;
  Queue& queue;
  /// The worker's id ("host:pid:queues") in perform hooks; empty in enqueue hooks.
  std::string worker_id;
  /// after_perform/on_failure: the job's error (null on success). after_perform hooks may
  /// clear it to turn a failure into a success (Noop) or set it.
  std::exception_ptr error;
  /// Set by a plugin that re-enqueued the job instead of letting it run or fail; the worker
  /// reports it to on_re_enqueue with this plugin name.
  /// - set by a before_perform hook that returns false (JobLock busy, ConcurrencyLimit full):
  ///   the job is finished without stats, like any veto;
  /// - set by an after_perform hook that also cleared `error` (Retry): the attempt is recorded
  ///   as node-resque's Retry records it, stat:failed +1 and stat:processed unchanged, and no
  ///   failure entry is written.
  std::string re_enqueued_by;
  /// True when a before_perform hook vetoed the job (set before the perform_aborted hooks
  /// run).
  bool skipped = false;
  /// Per-enqueue / per-perform values a plugin keeps from one of its hooks to the next (the
  /// value of a lock it took, a slot token). Key them by plugin name to avoid clashes.
  std::map<std::string, std::string> data;
};

/// Base class of every plugin. Hooks run in the order the plugins are listed in the job's
/// definition; before hooks veto by returning false (the rest of the chain is not run, and the
/// plugins that already passed get enqueue_aborted/perform_aborted). A before hook that throws
/// acts like a veto for the chain and then propagates (enqueue throws; a perform fails). Every
/// after_perform hook runs even when an earlier one throws; the exception becomes the job's
/// error.
/// Thread-safety: a plugin instance is shared by every worker thread running its job class, so
/// hooks must be thread-safe (the built-in ones keep no mutable state).
class Plugin {
 public:
  virtual ~Plugin() = default;
  /// Name used in logs and events.
  virtual std::string name() const = 0;
  /// Before the job is written to Redis (Queue::enqueue, and delayed promotion). false = veto:
  /// nothing is written and enqueue returns false.
  virtual bool before_enqueue(HookContext&) { return true; }
  /// After the job was written.
  virtual void after_enqueue(HookContext&) {}
  /// Before perform. false = the job is not performed: no success, no failure, no stats change.
  virtual bool before_perform(HookContext&) { return true; }
  /// After perform, also when it threw (ctx.error set); may clear or replace ctx.error.
  virtual void after_perform(HookContext&) {}
  /// When the job finally failed (after after_perform hooks left an error).
  virtual void on_failure(HookContext&) {}
  /// The enqueue did not happen although this plugin's before_enqueue returned true: a later
  /// plugin vetoed or threw, or writing the job failed. Undo what before_enqueue took (a lock).
  /// Runs in reverse plugin order; exceptions are swallowed.
  virtual void enqueue_aborted(HookContext&) {}
  /// The perform did not happen although this plugin's before_perform returned true: a later
  /// plugin vetoed or threw. Undo what before_perform took (a lock, a concurrency slot).
  /// Runs in reverse plugin order; exceptions are swallowed.
  virtual void perform_aborted(HookContext&) {}
};

using PluginPtr = std::shared_ptr<Plugin>;
using PluginList = std::vector<PluginPtr>;

}  // namespace resque
