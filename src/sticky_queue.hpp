#pragma once
// WorkerOptions::priority_recheck_interval for a worker on a long queue list: after a step
// that looked at every queue and took a job from queue i (which holds more), the next steps
// take from i alone until the interval since that step passes, an enqueue of ours concerns
// this worker (the notifier's announcement counter moved), or the queue runs dry. Only for
// long lists (more than kExactPriorityQueues): a few queues cost little to check every step.
// Not thread-safe: one worker thread's state.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace resque::detail {

class StickyQueue {
 public:
  using Clock = std::chrono::steady_clock;

  /// `interval` zero: never sticks (Ruby's re-check of every queue for every job).
  explicit StickyQueue(std::chrono::milliseconds interval) : interval_(interval) {}

  bool enabled() const { return interval_.count() > 0; }

  /// For a step that starts at `start`, with the announcement counter read just before it:
  /// the one queue to take from, or nullopt for a full step.
  std::optional<std::size_t> before_step(Clock::time_point start, std::uint64_t announced) {
    if (index_ && (start - since_ >= interval_ || announced != announced_)) index_.reset();
    return index_;
  }

  /// After a step that took from `only` alone (nullopt: a full step). `took` is the index of
  /// the queue a job came from (nullopt: no job), `more` whether that queue holds more, and
  /// `long_list` whether the worker listens on more than kExactPriorityQueues queues.
  void after_step(std::optional<std::size_t> only, std::optional<std::size_t> took, bool more,
                  bool long_list, Clock::time_point start, std::uint64_t announced) {
    if (!only) {
      if (enabled() && took && more && long_list) {
        index_ = took;
        since_ = start;
        announced_ = announced;
      }
    } else if (!took || !more) {
      index_.reset();  // ran dry (or the job came from elsewhere): the next step is full
    }
  }

  /// Forgets the queue (the list of queues changed).
  void reset() { index_.reset(); }

 private:
  std::chrono::milliseconds interval_;
  std::optional<std::size_t> index_;
  Clock::time_point since_{};
  std::uint64_t announced_ = 0;
};

}  // namespace resque::detail
