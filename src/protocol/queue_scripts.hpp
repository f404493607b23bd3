#pragma once
// Typed calls of the Queue's scripts (src/lua/enqueue*.lua, del_*.lua, *_failed.lua): an
// argument struct in, a result struct out. Each wrapper is the one place that knows its
// script's KEYS/ARGV layout. Every script checks the types of the keys it writes before its
// first write, so a wrong-typed key throws ReplyError (or, in a batch, yields an error
// outcome) with nothing of that call written.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "resque/connection.hpp"
#include "resque/keys.hpp"

namespace resque::protocol {

/// One call of a pipelined batch: its value, or the error Redis answered for it (a script
/// that errors before its first write, as these do on wrong-typed keys, wrote nothing).
template <class T>
struct Outcome {
  T value{};
  std::optional<std::string> error;
  bool ok() const { return !error; }
};

/// The jobs of one queue in one enqueue call, already encoded, in push order.
struct EnqueueGroup {
  std::string queue;
  std::vector<std::string> payloads;
};

/// enqueue.lua: per group SADD queues, RPUSH queue:<q>, PUBLISH on the wake channel; all of
/// the call or nothing. Returns how many jobs were written.
long long enqueue(Connection& conn, const Keys& keys, const std::vector<EnqueueGroup>& groups);

/// Several enqueue.lua calls in one round trip, one outcome per call (in order). Each call is
/// atomic on its own; a refused call does not stop the others.
std::vector<Outcome<long long>> enqueue_batch(Connection& conn, const Keys& keys,
                                              std::vector<std::vector<EnqueueGroup>> calls);

/// enqueue_at.lua: one job delayed to second `ts`, in resque-scheduler's layout.
struct EnqueueAtArgs {
  std::int64_t ts = 0;     ///< seconds since the epoch
  std::string payload;     ///< the item as written (the list entry and its timestamps item)
  std::string other_item;  ///< the same job in the other dialect (looked up for duplicates)
};
enum class EnqueueAtResult { Written, Duplicate };
EnqueueAtResult enqueue_at(Connection& conn, const Keys& keys, const EnqueueAtArgs& args);

/// del_matching.lua: removes entries of one list by their exact stored bytes.
struct DelMatchingArgs {
  std::string list;     ///< the full key of the list
  long long limit = 0;  ///< most entries to remove; 0 = every matching entry
  /// Distinct raw entries, first seen first, with how often the caller saw each (used only
  /// with a limit).
  std::vector<std::pair<std::string, long long>> entries;
};
/// Returns how many entries were removed.
long long del_matching(Connection& conn, const DelMatchingArgs& args);

/// del_queue.lua: DEL queue:<q> and SREM queues <q> together. true when q was listed.
bool del_queue(Connection& conn, const Keys& keys, const std::string& queue);

/// del_delayed.lua: removes one delayed job (both encodings) wherever it is scheduled.
struct DelDelayedArgs {
  std::string node_item;  ///< the job as node encodes a delayed item
  std::string ruby_item;  ///< the job as Ruby encodes it
};
/// The timestamps (seconds) from which an entry was removed, ascending, without duplicates
/// (a member "delayed:<not a number>" written by someone else is not reported).
std::vector<std::int64_t> del_delayed(Connection& conn, const Keys& keys,
                                      const DelDelayedArgs& args);

/// remove_failed.lua: removes the failed entry at `index` (Ruby's Failure.remove, atomic).
/// false when the index is out of range.
bool remove_failed_at(Connection& conn, const Keys& keys, long long index);

/// retry_failed.lua: Ruby's Failure.requeue as a compare-and-set on the entry read.
struct RetryFailedArgs {
  long long index = 0;  ///< where the entry was read
  std::string entry;    ///< the entry as read
  std::string updated;  ///< the entry with "retried_at" set
  std::string queue;    ///< the job's queue
  std::string payload;  ///< the job, encoded
};
enum class RetryResult {
  Done,     ///< entry updated (or removed) and its job enqueued
  Changed,  ///< the entry is gone or changed since it was read: nothing written
};
RetryResult retry_failed(Connection& conn, const Keys& keys, const RetryFailedArgs& args);
/// Several retry_failed.lua calls in one round trip, one outcome per call (in order).
std::vector<Outcome<RetryResult>> retry_failed_batch(Connection& conn, const Keys& keys,
                                                     const std::vector<RetryFailedArgs>& calls);

/// retry_and_remove_failed.lua: node's retryAndRemoveFailed, atomic.
struct RetryAndRemoveArgs {
  std::string entry;    ///< the entry's exact stored bytes
  std::string queue;    ///< the job's queue
  std::string payload;  ///< the job, encoded
};
/// RetryResult::Changed: the entry is no longer in the list (nothing enqueued).
RetryResult retry_and_remove_failed(Connection& conn, const Keys& keys,
                                    const RetryAndRemoveArgs& args);

}  // namespace resque::protocol
