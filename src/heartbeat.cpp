#include "heartbeat.hpp"

#include "per_server.hpp"
#include "protocol/worker.hpp"
#include "redis/commands.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/json.hpp"
#include "resque/keys.hpp"

namespace resque::detail {

namespace {
thread_local bool tl_on_heartbeat_thread = false;
}  // namespace

bool Heartbeat::on_heartbeat_thread() {
  return tl_on_heartbeat_thread;
}

std::shared_ptr<Heartbeat> Heartbeat::get(const ConnectionOptions& o) {
  return per_server<Heartbeat>(o);
}

Heartbeat::Heartbeat(ConnectionOptions options) : options_(std::move(options)) {
  thread_ = std::thread([this] { loop(); });
}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Heartbeat::add(Entry e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    e.due = std::chrono::steady_clock::now() + e.interval;
    entries_[e.id] = std::move(e);
  }
  cv_.notify_all();
}

void Heartbeat::remove(const std::string& id) {
  // Waits for a beat in progress, so no HSET lands after the worker's unregistration, and for
  // the entry's callback, so no event follows the worker's on_end (nor reaches a freed worker).
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !beating_ && (calling_ != id || tl_on_heartbeat_thread); });
  entries_.erase(id);
  lock.unlock();
  cv_.notify_all();
}

void Heartbeat::loop() {
  tl_on_heartbeat_thread = true;
  Connection conn(options_);
  const Keys keys(options_.key_namespace);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    auto next = std::chrono::steady_clock::now() + std::chrono::hours(1);
    for (auto& [id, e] : entries_) next = std::min(next, e.due);
    // No predicate: add() and remove() notify so that `next` is computed again (a predicate
    // would keep waiting for the old `next`, an hour when the first worker registers).
    cv_.wait_until(lock, next);
    if (stopping_) break;
    const auto now = std::chrono::steady_clock::now();
    std::vector<Entry> due;
    for (auto& [id, e] : entries_)
      if (e.due <= now) {
        due.push_back(e);
        e.due = now + e.interval;
      }
    if (due.empty()) continue;
    beating_ = true;
    lock.unlock();
    try {
      // Redis' clock, as Ruby uses it, so hosts with skewed clocks are not judged dead.
      const auto secs = server_time(conn);
      std::vector<std::vector<std::string>> cmds;
      for (const auto& e : due) {
        // SADD again: after a Redis restart without persistence (or a wrong cleanup) the worker
        // reappears in `workers`, where Ruby's UI and node's workers() look for it.
        const auto reg = protocol::registration(secs, e.name, e.queues);
        cmds.push_back({"SADD", keys.workers(), e.id});
        cmds.push_back({"SADD", keys.cpp_workers(), e.id});
        cmds.push_back({"HSET", keys.heartbeats(), e.id, reg.heartbeat});
        cmds.push_back({"SET", keys.worker_ping(e.name), reg.ping});
      }
      conn.pipeline(cmds);
    } catch (const std::exception&) {
      // Redis unreachable: try again at the next beat; the workers report the outage.
      due.clear();
    }
    lock.lock();
    beating_ = false;
    cv_.notify_all();
    // Callbacks run after the beat and outside the lock, so a slow one delays no worker's
    // heartbeat of this round, and one may stop its worker (Worker::stop does not wait on this
    // thread, nor does remove() wait here for the callback it is called from).
    for (const auto& e : due) {
      // Only for entries still there; remove() waits for the one running (calling_).
      if (!e.on_ping || entries_.count(e.id) == 0) continue;
      calling_ = e.id;
      lock.unlock();
      e.on_ping();
      lock.lock();
      calling_.clear();
      cv_.notify_all();
    }
  }
}

}  // namespace resque::detail
