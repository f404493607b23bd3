#pragma once
/// @file plugin.hpp
/// Job plugins: hooks around enqueue and perform (QueueLock, JobLock, Retry, ... and custom
/// ones). A plugin is a small class overriding the hooks it needs; the built-in plugins use
/// nothing that custom plugins cannot.

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "resque/job.hpp"
#include "resque/keys.hpp"

namespace resque {

class Connection;
class Queue;

/// What a hook sees. `redis` is the connection of the Queue or Worker running the hook (use it
/// from the hook's thread only); `queue` can enqueue (e.g. a delayed re-enqueue).
struct HookContext {
  /// The job: class, queue, args (as decoded from or about to be written to Redis).
  const Job& job;
  Connection& redis;
  const Keys& keys;
  Queue& queue;
  /// The worker's id ("host:pid:queues") in perform hooks; empty in enqueue hooks.
  std::string worker_id;
  /// after_perform/on_failure: the job's error (null on success). after_perform hooks may
  /// clear it to turn a failure into a success (Noop, Retry) or set it.
  std::exception_ptr error;
  /// Set by a plugin that re-enqueued the job (JobLock busy, Retry): reported to the worker's
  /// re_enqueue event with this plugin name.
  std::string re_enqueued_by;
  /// True when the job was vetoed or re-enqueued by a hook rather than performed.
  bool skipped = false;
};

/// Base class of every plugin. Hooks run in the order the plugins are listed in the job's
/// definition; before hooks veto by returning false (the rest of the chain is not run).
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
};

using PluginPtr = std::shared_ptr<Plugin>;
using PluginList = std::vector<PluginPtr>;

}  // namespace resque
