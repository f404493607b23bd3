#pragma once
/// @file retry.hpp
/// Retry: a failed job is performed again later, up to a number of attempts. node-resque's
/// plugin of the same name, sharing its keys and counting, so node and resque-cpp workers
/// count the attempts of one job together.

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "resque/json.hpp"
#include "resque/plugin.hpp"

namespace resque::plugins {

/// after_perform: on success the attempt counter is deleted. On failure the attempt is counted
/// and the error saved; while attempts remain, the job is re-enqueued after the delay (through
/// the delayed queue, so a Scheduler must be running), its error is cleared and the worker
/// records it as node does: stat:failed +1, stat:processed unchanged, no failure entry, and
/// on_re_enqueue("Retry"). The last attempt's failure is a normal failure (entry in `failed`).
///
/// On the wire (node-resque's): counter `<ns>:resque-retry:<class>:<args key>` (0 after the
/// first failure), last error `<ns>:failure-resque-retry:<class>:<args key>` =
/// {failed_at (local "YYYY/MM/DD HH:MM:SS"), payload: args, exception, error ("<type>: <what>"),
/// backtrace: [], worker: <class> (sic), queue}, both with node's TTL: the largest delay's
/// *millisecond* count used as seconds (node's quirk, kept: it comfortably outlives the wait).
/// The counter bookkeeping is one script (node sends eight separate commands).
///
/// Crash window: the re-enqueue and the worker's finish step are two steps; a worker killed
/// between them leaves the job both delayed and in flight, so it may run once more.
///
/// Thread-safety: immutable after construction; hooks may run on any number of threads.
class Retry : public Plugin {
 public:
  /// Exponential backoff: delay(n) = min(cap, base * factor^n) for the n-th retry (n = 0
  /// first), then reduced by a random fraction in [0, jitter] of itself.
  struct Exponential {
    /// Delay before the first retry. Default 1 s.
    std::chrono::milliseconds base{1000};
    /// Growth per attempt. Default 2.
    double factor = 2.0;
    /// Largest delay. Default 1 hour.
    std::chrono::milliseconds cap{std::chrono::hours(1)};
    /// 0 = exact delays; 0.5 = each delay is between 50% and 100% of the computed one
    /// (spreads retries of many jobs that failed together). Default 0.2.
    double jitter = 0.2;
  };

  struct Options {
    /// Total attempts, node's retryLimit: 1 = no retry, 3 = the first try and two retries.
    /// Default 1 (values below 1 count as 1).
    int retry_limit = 1;
    /// Fixed delay between attempts (node's retryDelay). Default 5000 ms.
    std::chrono::milliseconds retry_delay{5000};
    /// node's backoffStrategy: delay before the n-th retry is backoff[n], the last entry
    /// repeating. Used instead of retry_delay when not empty. Default empty.
    std::vector<std::chrono::milliseconds> backoff;
    /// Exponential backoff, used instead of backoff and retry_delay when set. Default unset.
    std::optional<Exponential> exponential;
    /// Which failures are retried (others fail at once, counter deleted). Default: all.
    std::function<bool(const std::exception_ptr&)> retry_if;
  };

  Retry();
  explicit Retry(Options options);

  std::string name() const override { return "Retry"; }
  void after_perform(HookContext& ctx) override;

  /// node-resque's argsKey: args joined with '-', objects, arrays and null as JSON, strings
  /// raw, numbers as JavaScript prints them; "" for no args. E.g. [1,"x y",{"a":1}] ->
  /// `1-x y-{"a":1}` (the key builders then remove the first whitespace character).
  static std::string args_key(const Json& args);
  /// Delay before retry number `n` (0 = the first retry) under these options.
  std::chrono::milliseconds delay_for(int n) const;
  /// The TTL (seconds) node gives the counter and error keys: the largest delay in ms.
  long long keys_ttl_seconds() const;
  const Options& options() const { return options_; }

 private:
  Options options_;
};

}  // namespace resque::plugins
