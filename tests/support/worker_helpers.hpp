#pragma once
// Helpers shared by the worker tests: raw Redis reads (the Queue's inspection methods are not
// used here on purpose: these tests check the bytes the worker wrote), a gate that blocks a
// perform function until the test opens it, and an event recorder.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <signal.h>

#include "process.hpp"
#include "resque/connection.hpp"
#include "resque/queue.hpp"
#include "resque/worker.hpp"

namespace resque::test {

inline WorkerOptions fast_worker(std::vector<std::string> queues,
                                 std::chrono::milliseconds poll = std::chrono::milliseconds(50)) {
  WorkerOptions o;
  o.queues = std::move(queues);
  o.poll_interval = poll;
  return o;
}

/// What Ruby's Resque.push does: SADD queues + RPUSH, no wake-up published.
inline void push_raw(Connection& c, const std::string& queue, const std::string& payload) {
  c.command({"SADD", "resque:queues", queue});
  c.command({"RPUSH", "resque:queue:" + queue, payload});
}

inline std::optional<std::string> get(Connection& c, const std::string& key) {
  return c.command({"GET", key}).opt_string();
}

/// Integer value of a key; 0 when it does not exist.
inline long long get_int(Connection& c, const std::string& key) {
  auto r = c.command({"GET", key});
  return r.is_nil() ? 0 : r.integer();
}

inline std::vector<std::string> lrange(Connection& c, const std::string& key) {
  return c.command({"LRANGE", key, "0", "-1"}).strings();
}

inline bool is_member(Connection& c, const std::string& set, const std::string& member) {
  return c.command({"SISMEMBER", set, member}).integer() == 1;
}

/// Blocks perform functions until open() is called. Shared by pointer so a worker thread that
/// a test abandoned can still leave it safely after the test returned.
class Gate {
 public:
  void pass() {
    std::unique_lock<std::mutex> lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    ++left_;
  }
  void open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  int entered() {
    std::lock_guard<std::mutex> lock(mu_);
    return entered_;
  }
  int left() {
    std::lock_guard<std::mutex> lock(mu_);
    return left_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int entered_ = 0;
  int left_ = 0;
};

/// Opens a gate when destroyed. Declared after the Worker it blocks, so a test that fails
/// half-way does not leave the worker's destructor waiting for a job that never ends.
struct OpenOnExit {
  std::shared_ptr<Gate> gate;
  ~OpenOnExit() { gate->open(); }
};

/// Thread-safe list of strings (performed jobs, events).
class Recorder {
 public:
  void add(std::string s) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(s));
  }
  std::vector<std::string> items() {
    std::lock_guard<std::mutex> lock(mu_);
    return items_;
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }
  std::size_t count(const std::string& s) {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t n = 0;
    for (const auto& i : items_) n += i == s ? 1 : 0;
    return n;
  }
  /// Count of items starting with `prefix`.
  std::size_t count_prefix(const std::string& prefix) {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t n = 0;
    for (const auto& i : items_) n += i.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> items_;
};

/// Worker events that record "<event>" or "<event>:<class>" into `r`.
inline WorkerEvents recording_events(std::shared_ptr<Recorder> r) {
  WorkerEvents e;
  e.on_start = [r](const std::string&) { r->add("start"); };
  e.on_end = [r](const std::string&) { r->add("end"); };
  e.on_poll = [r](const std::string&) { r->add("poll"); };
  e.on_job = [r](const std::string&, const Job& j) { r->add("job:" + j.klass); };
  e.on_success = [r](const std::string&, const Job& j, std::chrono::microseconds) {
    r->add("success:" + j.klass);
  };
  e.on_failure = [r](const std::string&, const Job& j, const std::string& exc, const std::string&) {
    r->add("failure:" + j.klass + ":" + exc);
  };
  e.on_error = [r](const std::string&, const std::string&) { r->add("error"); };
  e.on_pause = [r](const std::string&) { r->add("pause"); };
  e.on_ping = [r](const std::string&) { r->add("ping"); };
  return e;
}

/// A time every cleanup (Ruby's, node's, ours) judges long dead: 2020-01-01.
inline constexpr const char* kLongAgo = "2020-01-01T00:00:00+00:00";
inline constexpr long long kLongAgoEpoch = 1577836800;

/// A resque-cpp worker in a child process (sched_worker_child) listening on `queues` takes job
/// SlowJob [7], pushed to `queue`, and is SIGKILLed mid-job; its heartbeat and ping are then
/// made kLongAgo. Returns its worker id (empty, with a test failure, if it never registered).
inline std::string kill_cpp_worker_mid_job(Connection& c, Queue& q, int port,
                                           const std::string& queues = "jobs",
                                           const std::string& queue = "jobs") {
  using namespace std::chrono_literals;
  Process child({std::string(RESQUE_TEST_BIN_DIR) + "/sched_worker_child", "worker",
                 std::to_string(port), queues, "600000"});
  EXPECT_TRUE(child.wait_for_output("READY")) << child.output();
  EXPECT_TRUE(q.enqueue(queue, "SlowJob", {7}));
  EXPECT_TRUE(eventually(
      [&] {
        return c.command({"LLEN", "resque:test:started"}).integer() == 1;
      },
      30s));
  const auto workers = c.command({"SMEMBERS", "resque:workers"}).strings();
  EXPECT_EQ(workers.size(), 1u);
  const std::string id = workers.empty() ? std::string() : workers[0];
  const std::string name = id.substr(0, id.rfind(':'));
  child.signal(SIGKILL);
  child.wait();
  c.command({"HSET", "resque:workers:heartbeat", id, kLongAgo});
  c.command({"SET", "resque:worker:ping:" + name,
             encode_json(Json{{"time", kLongAgoEpoch}, {"name", name}, {"queues", queues}})});
  return id;
}

}  // namespace resque::test
