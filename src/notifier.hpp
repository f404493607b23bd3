#pragma once
// Wake-ups for idle workers: one subscriber connection per process and Redis namespace
// listens on the channel that resque-cpp's enqueue script publishes to, and wakes every idle
// worker of the process. Jobs from other libraries are found by the workers' poll instead.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "resque/options.hpp"

namespace resque::detail {

class Notifier {
 public:
  /// The process-wide notifier for this server, database and namespace (created on first use,
  /// destroyed when its last user lets go).
  static std::shared_ptr<Notifier> get(const ConnectionOptions& options);
  explicit Notifier(ConnectionOptions options);
  ~Notifier();

  /// Increments on every announcement (and after a reconnect).
  std::uint64_t generation() const { return generation_.load(); }
  /// Waits until generation() differs from `seen`, `timeout` passes, or wake_all() is called.
  void wait(std::uint64_t seen, std::chrono::milliseconds timeout);
  /// Wakes every waiter (used by stop and resume).
  void wake_all();

 private:
  void loop();
  ConnectionOptions options_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  // The subscriber's socket while it is open. Guarded by fd_mu_, which the loop holds while it
  // publishes or withdraws it, so the destructor never shuts down a closed (reused) number.
  int fd_ = -1;
  std::mutex fd_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace resque::detail
