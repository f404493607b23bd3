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
  void remove(const std::string& id);

 private:
  void loop();
  ConnectionOptions options_;
  std::map<std::string, Entry> entries_;
  bool stopping_ = false;
  bool beating_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace resque::detail
