#pragma once
/// @file keys.hpp
/// Every Redis key name resque-cpp uses, built in one place. Names follow Ruby Resque,
/// resque-scheduler and node-resque exactly; see docs in the README's protocol section.

#include <cstdint>
#include <string>
#include <string_view>

namespace resque {

/// Key builder for one namespace. Thread-safety: immutable; share freely.
class Keys {
 public:
  /// `ns` is the key namespace ("resque" by default); empty means no prefix at all.
  explicit Keys(std::string ns = "resque");

  const std::string& ns() const { return ns_; }
  /// "<ns>:<name>" (or "<name>" without a namespace).
  std::string key(std::string_view name) const;
  /// The prefix with its trailing ':' ("resque:"), or empty.
  const std::string& prefix() const { return prefix_; }

  std::string queues() const { return key("queues"); }
  std::string queue(std::string_view q) const { return key(cat("queue:", q)); }
  std::string delayed(std::int64_t ts) const { return key("delayed:" + std::to_string(ts)); }
  std::string delayed_schedule() const { return key("delayed_queue_schedule"); }
  /// resque-cpp's set of the items promoted from delayed:<ts> while others still wait there
  /// (their timestamps: members go when the list is empty; see promote.lua).
  std::string promoted(std::string_view ts) const { return key(cat("resque-cpp:promoted:", ts)); }
  /// "timestamps:<item>" where item is an encoded delayed payload (node or Ruby dialect).
  std::string timestamps(std::string_view item) const { return key(cat("timestamps:", item)); }
  std::string workers() const { return key("workers"); }
  std::string worker(std::string_view id) const { return key(cat("worker:", id)); }
  std::string worker_started(std::string_view id) const {
    return key(cat(cat("worker:", id), ":started"));
  }
  std::string heartbeats() const { return key("workers:heartbeat"); }
  /// node-resque's per-worker ping key (name = "host:pid" or "host:pid+N", no queues).
  std::string worker_ping(std::string_view name) const { return key(cat("worker:ping:", name)); }
  /// resque-cpp's in-flight list of a worker (jobs taken but not finished).
  std::string inflight(std::string_view worker_id) const {
    return key(cat("inflight:", worker_id));
  }
  /// resque-cpp's record of the queue the job in inflight:<id> came from (a string, written and
  /// deleted with the in-flight copy by the worker step): recovery's source of the queue when a
  /// peer's pruner deleted worker:<id> and a Ruby-dialect payload names none.
  std::string inflight_queue(std::string_view worker_id) const {
    return key(cat("resque-cpp:inflight-queue:", worker_id));
  }
  std::string stat(std::string_view name) const { return key(cat("stat:", name)); }
  /// Per-worker counter "stat:<kind>:<worker>" (kind "processed" or "failed"; worker = a Ruby
  /// or resque-cpp id, or a node worker name).
  std::string worker_stat(std::string_view kind, std::string_view worker) const {
    return key(cat(cat(cat("stat:", kind), ":"), worker));
  }
  std::string failed() const { return key("failed"); }
  std::string pause_all() const { return key("pause-all-workers"); }
  /// node-resque's scheduler leader lock.
  std::string leader_lock() const { return key("resque_scheduler_leader_lock"); }
  /// resque-scheduler's master lock (double prefix, as Ruby builds it).
  std::string ruby_master_lock() const { return key(cat(ns_, ":resque_scheduler_master_lock")); }
  /// resque-scheduler's persisted recurring schedules (hash: name -> JSON config).
  std::string persistent_schedules() const { return key("persistent_schedules"); }
  /// resque-scheduler's set of schedule names changed since its master last loaded them.
  std::string schedules_changed() const { return key("schedules_changed"); }
  /// resque-scheduler's hash: schedule name -> time of its last fire (Ruby Time#to_s).
  std::string last_enqueued_at() const { return key("delayed:last_enqueued_at"); }
  /// resque-cpp's per-payload count of workers that died while performing it (with a TTL):
  /// "resque-cpp:recovered:<SHA-1 of the payload, hex>", so the name does not grow with the
  /// payload.
  std::string recovered(std::string_view payload) const;
  /// resque-cpp's index of its own workers (a set of worker ids, kept by the register and
  /// teardown scripts and the heartbeat): the Scheduler's dead-worker check reads it (and each
  /// worker's inflight:<id>) instead of scanning the keyspace.
  std::string cpp_workers() const { return key("resque-cpp:workers"); }
  /// Pub/sub channel on which resque-cpp announces enqueues so idle workers wake at once.
  std::string enqueue_channel() const { return key("resque-cpp:enqueued"); }

  /// SCAN MATCH pattern "<ns>:<glob>" with the glob characters of the namespace escaped, so a
  /// namespace such as "app[1]" matches only itself.
  std::string pattern(std::string_view glob) const;
  /// The name of a full key without the namespace prefix ("resque:lock:x" -> "lock:x"); a key
  /// without the prefix is returned unchanged.
  std::string_view strip(std::string_view full_key) const;
  // ---- plugins (node-resque's key shapes, so mixed fleets share them) --------------------

  /// QueueLock: "lock:<class>:<queue>:<identity>"; node's identity is JSON.stringify(args)
  /// (encode_json(args)).
  std::string queue_lock(std::string_view klass, std::string_view queue,
                         std::string_view identity) const {
    return key(cat(cat(cat(cat(cat("lock:", klass), ":"), queue), ":"), identity));
  }
  /// JobLock: "workerslock:<class>:<queue>:<identity>" (identity as for queue_lock).
  std::string job_lock(std::string_view klass, std::string_view queue,
                       std::string_view identity) const {
    return key(cat(cat(cat(cat(cat("workerslock:", klass), ":"), queue), ":"), identity));
  }
  /// Retry's attempt counter, exactly as node-resque builds it: "<ns>:resque-retry:<class>:
  /// <args key>" (a blank part is left out with its ':') with the first whitespace character
  /// of the whole key removed.
  std::string retry_counter(std::string_view klass, std::string_view args_key) const;
  /// Retry's last error: "<ns>:failure-resque-retry:<class>:<args key>", first whitespace
  /// character removed (node's rule).
  std::string retry_failure(std::string_view klass, std::string_view args_key) const;
  /// ConcurrencyLimit's slot set (resque-cpp only; no peer has this plugin):
  /// "resque-cpp:concurrency:<key>".
  std::string concurrency(std::string_view limit_key) const {
    return key(cat("resque-cpp:concurrency:", limit_key));
  }

 private:
  static std::string cat(std::string_view a, std::string_view b) {
    std::string s;
    s.reserve(a.size() + b.size());
    s.append(a);
    s.append(b);
    return s;
  }
  std::string ns_;
  std::string prefix_;
};

}  // namespace resque
