#include "resque/worker_pool.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "queue_patterns.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/keys.hpp"
#include "worker_internal.hpp"

namespace resque {

WorkerPool::WorkerPool(ConnectionOptions connection, std::shared_ptr<const JobRegistry> registry,
                       WorkerPoolOptions options)
    : connection_(std::move(connection)),
      registry_(std::move(registry)),
      options_(std::move(options)) {
  if (options_.worker.queues.empty()) throw ConfigError("a worker pool needs at least one queue");
  if (options_.min_threads == 0) throw ConfigError("worker pool min_threads must be at least 1");
  if (options_.max_threads < options_.min_threads)
    throw ConfigError(fmt::format("worker pool max_threads ({}) is less than min_threads ({})",
                                  options_.max_threads, options_.min_threads));
  if (options_.scale_interval <= std::chrono::milliseconds(0))
    throw ConfigError("worker pool scale_interval must be positive");
  // The template's own settings (queues, intervals, host) are checked here too, not only when
  // the first worker starts.
  detail::validate_worker_options(connection_, options_.worker);
}

WorkerPool::~WorkerPool() {
  stop();
  // Destroyed on one of its workers' threads, stop() only asked: the scaler (which never waits
  // for a busy worker) is joined here, and each ~Worker joins its thread (its own one detaches).
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (scaler_.joinable()) scaler_.join();
}

bool WorkerPool::request_stop_from_worker() {
  std::lock_guard<std::mutex> lock(mu_);
  bool own = false;
  for (const auto& w : workers_) own = own || w->on_own_thread();
  own = own || (retiring_ != nullptr && retiring_->on_own_thread());
  if (!own) return false;
  stopping_ = true;
  for (auto& w : workers_) w->request_stop();
  cv_.notify_all();
  return true;
}

void WorkerPool::add_worker_locked() {
  auto w = std::make_unique<Worker>(connection_, registry_, options_.worker);
  if (paused_) w->pause();
  w->start();
  workers_.push_back(std::move(w));
}

void WorkerPool::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  stopping_ = false;
  for (std::size_t i = 0; i < options_.min_threads; ++i) add_worker_locked();
  if (options_.max_threads > options_.min_threads) scaler_ = std::thread([this] { scale_loop(); });
}

void WorkerPool::scale_loop() {
  Connection conn(connection_);
  const Keys keys(connection_.key_namespace);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.scale_interval, [&] { return stopping_; });
    if (stopping_) break;
    // "Working" rather than busy(): with short jobs a thread spends much of its time between
    // jobs (in Redis round trips), and sampling busy() then rarely sees every thread busy.
    std::size_t working = 0;
    for (const auto& w : workers_) working += w->idle() ? 0 : 1;
    const std::size_t n = workers_.size();
    lock.unlock();
    long long backlog = 0;
    try {
      auto queues = options_.worker.queues;
      if (detail::queues_are_dynamic(queues))
        queues =
            detail::resolve_queues(queues, conn.command({"SMEMBERS", keys.queues()}).strings());
      std::vector<std::vector<std::string>> cmds;
      for (const auto& q : queues) cmds.push_back({"LLEN", keys.queue(q)});
      for (auto& r : conn.pipeline(cmds))
        if (!r.is_error()) backlog += r.integer();
    } catch (const Error&) {
      // Redis unreachable: the workers report it; keep the pool as it is.
    }
    lock.lock();
    if (stopping_ || paused_) continue;
    if (backlog > 0 && working == n && n < options_.max_threads) {
      add_worker_locked();
    } else if (backlog == 0 && working < n && n > options_.min_threads) {
      // Retire an idle worker (the newest), so stop() never waits behind a long job here. Its
      // count moves to retired_done_ before it leaves workers_ (and what it finishes while
      // stopping, after), so jobs_done() never goes backwards.
      auto it = std::find_if(workers_.rbegin(), workers_.rend(),
                             [](const std::unique_ptr<Worker>& x) { return x->idle(); });
      if (it == workers_.rend()) continue;
      auto w = std::move(*it);
      workers_.erase(std::next(it).base());
      const std::uint64_t counted = w->jobs_done();
      retired_done_ += counted;
      // Counted when it has stopped (below), so nothing it finishes meanwhile is lost.
      retiring_ = w.get();  // it may have taken a job meanwhile, which may call stop()
      lock.unlock();
      w->stop();
      lock.lock();
      retiring_ = nullptr;
      retired_done_ += w->jobs_done() - counted;
      for (const auto& [k, v] : w->job_stats()) retired_stats_[k] += v;
    }
  }
}

bool WorkerPool::stop(std::chrono::milliseconds deadline) {
  // From a job (or hook, or event) of one of our workers: waiting here would wait for the very
  // job that called, and a thread cannot join itself. Ask, return; the destructor or a later
  // stop() from another thread completes the stop.
  if (request_stop_from_worker()) return true;
  std::lock_guard<std::mutex> one_stop_at_a_time(stop_mu_);
  std::vector<Worker*> ws;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) return true;
    stopping_ = true;
  }
  cv_.notify_all();
  if (scaler_.joinable()) scaler_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Every worker stops taking jobs at once, before any is waited for.
    for (auto& w : workers_) {
      w->request_stop();
      ws.push_back(w.get());
    }
  }
  // Waited for without holding mu_, so event callbacks and other threads may still call
  // size(), jobs_done() or pause() meanwhile (workers_ does not change: the scaler is gone and
  // start() sees started_).
  bool ok = true;
  const auto until = deadline == std::chrono::milliseconds::max()
                         ? std::chrono::steady_clock::time_point::max()
                         : std::chrono::steady_clock::now() + deadline;
  for (Worker* w : ws) {
    if (until == std::chrono::steady_clock::time_point::max()) {
      ok = w->stop() && ok;
    } else {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      ok = w->stop(std::max(left, std::chrono::milliseconds(0))) && ok;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& w : workers_) {
    retired_done_ += w->jobs_done();
    retired_abandoned_ += w->jobs_abandoned();
    for (const auto& [k, v] : w->job_stats()) retired_stats_[k] += v;
  }
  workers_.clear();
  started_ = false;
  return ok;
}

void WorkerPool::pause() {
  std::lock_guard<std::mutex> lock(mu_);
  paused_ = true;
  for (auto& w : workers_) w->pause();
}

void WorkerPool::resume() {
  std::lock_guard<std::mutex> lock(mu_);
  paused_ = false;
  for (auto& w : workers_) w->resume();
}

std::size_t WorkerPool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return workers_.size();
}

std::vector<std::string> WorkerPool::worker_ids() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& w : workers_) out.push_back(w->id());
  return out;
}

JobStatsMap WorkerPool::job_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  JobStatsMap out = retired_stats_;
  for (const auto& w : workers_)
    for (const auto& [k, v] : w->job_stats()) out[k] += v;
  return out;
}

WorkerPoolHealth WorkerPool::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  WorkerPoolHealth h;
  h.running = started_ && !stopping_;
  h.threads = workers_.size();
  h.jobs_done = retired_done_;
  h.jobs_abandoned = retired_abandoned_;
  for (const auto& w : workers_) {
    const WorkerHealth wh = w->health();
    h.workers_connected += wh.connected ? 1 : 0;
    h.workers_registered += wh.registered ? 1 : 0;
    h.jobs_in_flight += wh.jobs_in_flight;
    h.jobs_done += wh.jobs_done;
    h.jobs_abandoned += wh.jobs_abandoned;
    if (wh.last_error_at > h.last_error_at) {
      h.last_error = wh.last_error;
      h.last_error_at = wh.last_error_at;
    }
    h.last_job_finished_at = std::max(h.last_job_finished_at, wh.last_job_finished_at);
  }
  h.connected = h.threads > 0 && h.workers_connected == h.threads;
  return h;
}

std::uint64_t WorkerPool::jobs_abandoned() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t n = retired_abandoned_;
  for (const auto& w : workers_) n += w->jobs_abandoned();
  return n;
}

std::uint64_t WorkerPool::jobs_done() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t n = retired_done_;
  for (const auto& w : workers_) n += w->jobs_done();
  return n;
}

}  // namespace resque
