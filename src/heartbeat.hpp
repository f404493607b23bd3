#pragma once
// Heartbeats for every worker of the process: one thread and one connection per server and
// namespace write Ruby's workers:heartbeat entry and node's worker:ping:<name> key for each
// registered worker, so both peers' dead-worker checks see our workers alive while they run
// (also during a long job, when the worker's own thread is busy).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "resque/options.hpp"

namespace resque::detail {

class Heartbeat {
 public:
  struct Entry {
    std::string id;
    std::string name;
    std::string queues;  // "q1,q2" as in the id
    std::chrono::milliseconds interval;
    std::function<void()> on_ping;
    std::chrono::steady_clock::time_point due;
  };

  static std::shared_ptr<Heartbeat> get(const ConnectionOptions& options);
  explicit Heartbeat(ConnectionOptions options);
  ~Heartbeat();

  void add(Entry e);
  /// Stops the entry's beats. Waits for a beat in progress and for the entry's on_ping
  /// callback if it is running on the heartbeat thread (unless called from that callback), so
  /// that after it returns no beat is written and no callback runs for `id`.
  void remove(const std::string& id);
  /// True on a heartbeat thread (inside an on_ping callback): a stop() called there must not
  /// wait for a worker that is itself waiting in remove() for that callback.
  static bool on_heartbeat_thread();

 private:
  void loop();
  ConnectionOptions options_;
  std::map<std::string, Entry> entries_;
  bool stopping_ = false;
  bool beating_ = false;
  std::string calling_;  // the entry whose on_ping runs now (guarded by mu_)
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace resque::detail
