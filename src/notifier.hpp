#pragma once
// Wake-ups for idle workers: one subscriber connection per process and Redis namespace
// listens on the channel that resque-cpp's enqueue script publishes to (the message is the
// queue's name). An announcement wakes ONE idle worker of each group of workers that listen to
// that queue; a woken worker that takes a job from a queue that holds more wakes the next one,
// one that takes the last job or finds nothing does not, so an enqueue into an idle pool costs
// one step, not one per thread. (Wake-ups are counted, at most one per worker of the group.)
// Jobs from other libraries (which do not publish) are found by a poll: one waiter of each
// group at a time polls every poll_interval, the others sleep until woken.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "resque/options.hpp"

namespace resque::detail {

class Notifier {
 public:
  /// The process-wide notifier for this server, database and namespace (created on first use,
  /// destroyed when its last user lets go).
  static std::shared_ptr<Notifier> get(const ConnectionOptions& options);
  explicit Notifier(ConnectionOptions options);
  ~Notifier();

  /// Workers that listen to the same queues (the threads of a pool): wake-ups and the poll are
  /// shared among them. Lives as long as the Notifier.
  struct Group;
  /// The group of workers listening to `queues` (names or patterns, as WorkerOptions::queues).
  Group* group(const std::vector<std::string>& queues);

  /// Increments on every wake_all().
  std::uint64_t generation() const { return generation_.load(); }
  /// Waits until generation() differs from `seen`, `timeout` passes, or wake_all() is called.
  void wait(std::uint64_t seen, std::chrono::milliseconds timeout);
  /// An idle worker's wait: returns when an announcement for its group wakes it (one waiter
  /// per announcement), on wake_all() (generation() differs from `seen`), or, for the one
  /// waiter of the group that polls, when `poll` has passed. Returns true when woken by an
  /// announcement or a wake_one().
  bool wait_for_work(Group* g, std::uint64_t seen, std::chrono::milliseconds poll);
  /// How many announcements (enqueues by resque-cpp, and every subscriber reconnect) have
  /// concerned `g` so far: a worker that skips re-checking its higher queues (see
  /// WorkerOptions::priority_recheck_interval) checks them again when this moves.
  std::uint64_t announcements(Group* g);
  /// Wakes one more idle worker of `g` (called by a woken worker that found a job).
  void wake_one(Group* g);
  /// Wakes every waiter (used by stop and resume).
  void wake_all();

 private:
  void loop();
  /// One wake-up for every group that may listen to `queue` (every group when empty).
  void announce(const std::string& queue);
  ConnectionOptions options_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  // The subscriber's socket while it is open. Guarded by fd_mu_, which the loop holds while it
  // publishes or withdraws it, so the destructor never shuts down a closed (reused) number.
  int fd_ = -1;
  std::mutex fd_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<Group>> groups_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace resque::detail
