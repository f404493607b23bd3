#pragma once
/// @file plugin.hpp
/// Job plugins: hooks around enqueue and perform (QueueLock, JobLock, Retry, ... and custom
/// ones). A plugin is a small class overriding the hooks it needs; the built-in plugins use
/// nothing that custom plugins cannot (this header, lock.hpp, connection.hpp, queue.hpp).
/// docs/plugins.md is the guide for plugin authors.

#include <any>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <typeinfo>
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
/// plugin can carry values between its hooks in its typed state (state<T>()).
/// Made by the library with for_enqueue / for_perform; tests of a plugin make one the same way.
/// Thread-safety: none; one enqueue or perform, on one thread.
struct HookContext {
  /// The context of enqueue hooks (Queue::enqueue, promotion of a delayed job, a recurring
  /// fire): no worker, no error.
  static HookContext for_enqueue(const Job& job, Connection& redis, const Keys& keys,
                                 Queue& queue) {
    return HookContext(job, redis, keys, queue, std::string());
  }
  /// The context of perform hooks, run by the worker `worker_id` ("host:pid:queues").
  static HookContext for_perform(const Job& job, Connection& redis, const Keys& keys, Queue& queue,
                                 std::string worker_id) {
    return HookContext(job, redis, keys, queue, std::move(worker_id));
  }

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

  /// The value of type T this enqueue or perform carries from one hook to the next (the token
  /// of a lock a plugin took, ...), default-constructed on first use. One value per type: a
  /// plugin keys it by a type of its own (e.g. a nested `State` struct), so plugins never
  /// clash. T must be copy-constructible (it is kept in a std::any).
  template <class T>
  T& state() {
    std::any& slot = state_[std::type_index(typeid(T))];
    if (!slot.has_value()) slot.template emplace<T>();
    return *std::any_cast<T>(&slot);
  }
  /// The value of type T if a hook created it, else null.
  template <class T>
  T* find_state() {
    auto it = state_.find(std::type_index(typeid(T)));
    return it == state_.end() ? nullptr : std::any_cast<T>(&it->second);
  }
  /// Forgets the value of type T.
  template <class T>
  void erase_state() {
    state_.erase(std::type_index(typeid(T)));
  }

 private:
  HookContext(const Job& job_, Connection& redis_, const Keys& keys_, Queue& queue_,
              std::string worker_id_)
      : job(job_), redis(redis_), keys(keys_), queue(queue_), worker_id(std::move(worker_id_)) {}

  std::map<std::type_index, std::any> state_;
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

/// Puts ctx.job back on its queue `delay` from now, through the delayed queue (a Scheduler must
/// be running): what JobLock, ConcurrencyLimit and Retry do instead of running or failing a
/// job. The delayed queue keeps one copy of a job per second, so when an identical job is
/// already delayed at that second the next free second is used: a re-enqueue never silently
/// merges two jobs into one. Enqueue hooks run when the Scheduler promotes it. Set
/// ctx.re_enqueued_by to the plugin's name after it, so the worker reports the re-enqueue.
/// Throws JobError when every second of the next hour is taken by copies of the job.
void re_enqueue_later(HookContext& ctx, std::chrono::milliseconds delay);

using PluginPtr = std::shared_ptr<Plugin>;
using PluginList = std::vector<PluginPtr>;

}  // namespace resque
