// Embedding in a service (issue 15): stop() from any thread, including a job's own, never ends
// the process; abandoned jobs are logged and counted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/plugin.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "resque/worker_pool.hpp"
#include "sched_support.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

namespace {

long long workers_registered(Connection& c) {
  return c.command({"SCARD", "resque:workers"}).integer();
}

// Collects log lines (thread-safe).
struct LogSink {
  std::mutex mu;
  std::vector<std::pair<LogLevel, std::string>> lines;
  LogFunction fn() {
    return [this](LogLevel l, std::string_view m) {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(l, std::string(m));
    };
  }
  std::size_t count(LogLevel level, const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu);
    std::size_t n = 0;
    for (const auto& [l, m] : lines) n += (l == level && m.find(needle) != std::string::npos);
    return n;
  }
};

// Redirects this process's stderr (fd 2) into a pipe while alive; text() reads what arrived.
class StderrCapture {
 public:
  StderrCapture() {
    saved_ = ::dup(2);
    if (saved_ < 0 || ::pipe(fds_) != 0) throw std::runtime_error("StderrCapture: dup/pipe");
    ::fcntl(fds_[0], F_SETFL, O_NONBLOCK);
    ::fflush(stderr);
    ::dup2(fds_[1], 2);
  }
  ~StderrCapture() {
    ::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  const std::string& text() {
    char buf[4096];
    for (ssize_t n; (n = ::read(fds_[0], buf, sizeof buf)) > 0;)
      text_.append(buf, static_cast<std::size_t>(n));
    return text_;
  }

 private:
  int saved_ = -1;
  int fds_[2] = {-1, -1};
  std::string text_;
};

}  // namespace

TEST(EmbeddingLogging, WrongPasswordIsPrintedToStderrWithNoLoggerSet) {
  RedisServer server(RedisServerOptions{false, "secret", {}});
  auto reg = std::make_shared<JobRegistry>();
  auto opts = server.options();
  opts.password = "wrong";
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});  // no log function: the default one
  po.min_threads = po.max_threads = 1;
  std::string text;
  {
    StderrCapture capture;
    WorkerPool pool(opts, reg, po);
    pool.start();
    const bool seen =
        eventually([&] { return capture.text().find("WRONGPASS") != std::string::npos; },
                   std::chrono::seconds(20));
    pool.stop();
    text = capture.text();
    ASSERT_TRUE(seen) << text;
  }
  const auto line_start = text.rfind('\n', text.find("WRONGPASS"));
  const std::string line = text.substr(line_start == std::string::npos ? 0 : line_start + 1,
                                       text.find('\n', text.find("WRONGPASS")) - (line_start + 1));
  EXPECT_NE(line.find("resque [error] worker="), std::string::npos) << line;
  EXPECT_NE(line.find("authentication error: retrying cannot fix this"), std::string::npos) << line;
  EXPECT_EQ(line.substr(0, 2), "20") << line;  // starts with a timestamp
}

TEST(EmbeddingLogging, UnfixableErrorsAreLoggedOncePerIntervalButReportedEveryTime) {
  RedisServer server(RedisServerOptions{false, "secret", {}});
  auto reg = std::make_shared<JobRegistry>();
  auto opts = server.options();
  opts.password.clear();  // NOAUTH on every command
  auto sink = std::make_shared<LogSink>();
  std::atomic<int> errors{0};
  auto wo = fast_worker({"q"});
  wo.log = sink->fn();
  wo.events.on_error = [&](const std::string&, const std::string&) { ++errors; };
  Worker w(opts, reg, wo);
  w.start();
  ASSERT_TRUE(eventually([&] { return errors >= 3; }, std::chrono::seconds(20)));
  w.stop();
  EXPECT_EQ(sink->count(LogLevel::Error, "NOAUTH"), 1u);
  EXPECT_EQ(sink->count(LogLevel::Error, "authentication error"), 1u);
}

TEST(EmbeddingShutdown, PoolStopFromInsideAJobReturnsAndALaterStopJoins) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  WorkerPool* pool_ptr = nullptr;
  std::atomic<int> stop_returned{0};
  std::atomic<bool> stop_result{false};
  reg->define("Shutdown", [&] {
    stop_result = pool_ptr->stop();
    ++stop_returned;
  });
  Queue q(server.options(), reg);
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.min_threads = 2;
  po.max_threads = 3;
  po.scale_interval = std::chrono::milliseconds(20);
  WorkerPool pool(server.options(), reg, po);
  pool_ptr = &pool;
  pool.start();
  ASSERT_TRUE(q.enqueue("q", "Shutdown"));
  ASSERT_TRUE(eventually([&] { return stop_returned == 1; }));
  EXPECT_TRUE(stop_result);
  Connection c(server.options());
  // Every worker stops by itself after its job and unregisters; nothing is left in flight.
  ASSERT_TRUE(eventually([&] { return workers_registered(c) == 0; }));
  EXPECT_TRUE(pool.stop());
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
}

TEST(EmbeddingShutdown, PoolDestroyedFromInsideItsOwnJob) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  std::mutex mu;
  std::unique_ptr<WorkerPool> owner;
  std::atomic<bool> destroyed{false};
  reg->define("Drop", [&] {
    std::unique_ptr<WorkerPool> p;
    {
      std::lock_guard<std::mutex> lock(mu);
      p = std::move(owner);
    }
    p.reset();  // ~WorkerPool on the job's own thread
    destroyed = true;
  });
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.min_threads = po.max_threads = 2;
  {
    std::lock_guard<std::mutex> lock(mu);
    owner = std::make_unique<WorkerPool>(server.options(), reg, po);
    owner->start();
  }
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Drop"));
  ASSERT_TRUE(eventually([&] { return destroyed.load(); }));
  Connection c(server.options());
  ASSERT_TRUE(eventually([&] { return workers_registered(c) == 0; }));
  EXPECT_TRUE(eventually([&] { return get_int(c, "resque:stat:processed") == 1; }));
}

TEST(EmbeddingShutdown, WorkerRunStoppedFromItsOwnJob) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  Worker* w = nullptr;
  std::atomic<bool> stop_result{false};
  reg->define("Shutdown", [&] { stop_result = w->stop(std::chrono::milliseconds(100)); });
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Shutdown"));
  Worker worker(server.options(), reg, fast_worker({"q"}));
  w = &worker;
  worker.run();  // on this thread: returns once the job's stop() is seen
  EXPECT_TRUE(stop_result);
  Connection c(server.options());
  EXPECT_EQ(workers_registered(c), 0);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
}

TEST(EmbeddingShutdown, StopFromOtherThreadsUnderLoad) {
  RedisServer server;
  constexpr int kJobs = 3000;
  auto reg = std::make_shared<JobRegistry>();
  std::atomic<int> performed{0};
  reg->define("Count", [&](std::int64_t) { ++performed; });
  Queue q(server.options(), reg);
  std::vector<Job> jobs;
  for (int i = 0; i < kJobs; ++i) jobs.push_back(Job{"Count", "q", Json::array({i}), {}});
  ASSERT_EQ(q.enqueue_batch(jobs), static_cast<std::size_t>(kJobs));
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.min_threads = 2;
  po.max_threads = 4;
  po.scale_interval = std::chrono::milliseconds(10);
  WorkerPool pool(server.options(), reg, po);
  pool.start();
  ASSERT_TRUE(eventually([&] { return performed > 100; }));
  // Three threads stop at once, one with a deadline, while the scaler may be growing the pool.
  std::vector<std::thread> stoppers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i)
    stoppers.emplace_back([&, i] {
      if (i == 0 ? pool.stop(std::chrono::seconds(30)) : pool.stop()) ++ok;
    });
  for (auto& t : stoppers) t.join();
  EXPECT_EQ(ok, 3);
  Connection c(server.options());
  EXPECT_EQ(workers_registered(c), 0);
  const long long left = c.command({"LLEN", "resque:queue:q"}).integer();
  EXPECT_EQ(performed + left, kJobs);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), performed.load());
  EXPECT_EQ(pool.jobs_abandoned(), 0u);
}

TEST(EmbeddingShutdown, SignalFromAJobStopsRunUntilSignalled) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  std::atomic<int> raised{0};
  reg->define("Term", [&] {
    ++raised;
    ::raise(SIGTERM);  // the handler only writes to run_until_signalled's pipe
  });
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.min_threads = po.max_threads = 2;
  WorkerPool pool(server.options(), reg, po);
  auto done = std::async(std::launch::async, [&] { run_until_signalled(pool); });
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Term"));
  ASSERT_EQ(done.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  done.get();
  EXPECT_EQ(raised, 1);
  EXPECT_EQ(pool.size(), 0u);
  Connection c(server.options());
  EXPECT_EQ(workers_registered(c), 0);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
}

TEST(EmbeddingShutdown, PoolStopFromAJobEndsRunUntilSignalled) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.min_threads = po.max_threads = 1;
  WorkerPool pool(server.options(), reg, po);
  reg->define("Shutdown", [&] { pool.stop(); });
  auto done = std::async(std::launch::async, [&] { run_until_signalled(pool); });
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Shutdown"));
  ASSERT_EQ(done.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  done.get();
  Connection c(server.options());
  EXPECT_EQ(workers_registered(c), 0);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
}

TEST(EmbeddingShutdown, StopDeadlineLogsAndCountsTheAbandonedJob) {
  RedisServer server;
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Long", [gate] { gate->pass(); });  // a job that outlives the deadline
  auto sink = std::make_shared<LogSink>();
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.worker.log = sink->fn();
  po.min_threads = po.max_threads = 1;
  WorkerPool pool(server.options(), reg, po);
  OpenOnExit open_on_exit{gate};
  pool.start();
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Long"));
  ASSERT_TRUE(eventually([&] { return gate->entered() == 1; }));
  EXPECT_FALSE(pool.stop(std::chrono::milliseconds(200)));
  EXPECT_EQ(sink->count(LogLevel::Warning, "abandoned"), 1u);
  EXPECT_EQ(pool.jobs_abandoned(), 1u);
  gate->open();
  // The job stays in flight for recovery: the worker's registration and in-flight list remain.
  Connection c(server.options());
  EXPECT_EQ(workers_registered(c), 1);
}

TEST(EmbeddingShutdown, SchedulerDestroyedFromItsOwnCallback) {
  RedisServer server;
  std::mutex mu;
  std::unique_ptr<Scheduler> owner;
  std::atomic<bool> destroyed{false};
  SchedulerOptions so;
  so.poll_interval = std::chrono::milliseconds(20);
  so.events.on_leader_gained = [&](const std::string&) {
    std::unique_ptr<Scheduler> s;
    {
      std::lock_guard<std::mutex> lock(mu);
      s = std::move(owner);
    }
    s.reset();  // ~Scheduler on the scheduler's own thread
    destroyed = true;
  };
  {
    std::lock_guard<std::mutex> lock(mu);
    owner = std::make_unique<Scheduler>(server.options(), nullptr, so);
    owner->start();
  }
  ASSERT_TRUE(eventually([&] { return destroyed.load(); }));
  // A second scheduler starts and stops from another thread normally meanwhile.
  Scheduler other(server.options(), nullptr, so);
  other.start();
  std::thread([&] { other.stop(); }).join();
  EXPECT_FALSE(other.is_leader());
}

TEST(EmbeddingOptions, InvalidOptionsThrowConfigErrorAtConstruction) {
  auto reg = std::make_shared<JobRegistry>();
  ConnectionOptions c;  // never connected: the checks come first
  auto pool_with = [&](auto change) {
    WorkerPoolOptions po;
    po.worker = fast_worker({"q"});
    change(po);
    return [=] { WorkerPool p(c, reg, po); };
  };
  EXPECT_THROW(pool_with([](WorkerPoolOptions& o) { o.min_threads = 0; })(), ConfigError);
  EXPECT_THROW(pool_with([](WorkerPoolOptions& o) {
                 o.min_threads = 5;
                 o.max_threads = 2;
               })(),
               ConfigError);
  EXPECT_THROW(pool_with([](WorkerPoolOptions& o) { o.scale_interval = {}; })(), ConfigError);
  EXPECT_THROW(pool_with([](WorkerPoolOptions& o) { o.worker.poll_interval = {}; })(), ConfigError);
  EXPECT_THROW(pool_with([](WorkerPoolOptions& o) {
                 o.worker.heartbeat_interval = std::chrono::milliseconds(-1);
               })(),
               ConfigError);
  EXPECT_NO_THROW(pool_with([](WorkerPoolOptions& o) { o.min_threads = o.max_threads = 3; })());
  auto bad_backoff = c;
  bad_backoff.reconnect_backoff_min = std::chrono::milliseconds(500);
  bad_backoff.reconnect_backoff_max = std::chrono::milliseconds(100);
  EXPECT_THROW(Worker(bad_backoff, reg, fast_worker({"q"})), ConfigError);
  SchedulerOptions so;
  so.poll_interval = {};
  EXPECT_THROW(Scheduler(c, reg, so), ConfigError);

  reg->define("Once", [] {});
  EXPECT_THROW(reg->define("Once", [] {}), ConfigError);
  EXPECT_NO_THROW(reg->replace("Once", [](int) {}));
  EXPECT_THROW(reg->find("Once")->perform(Job{"Once", "q", Json::array(), {}}), ArgumentError);
}

TEST(EmbeddingOptions, WorkersRetryWithTheConnectionsBackoff) {
  // Nothing listens on port 1: every registration attempt fails and is reported (on_error).
  ConnectionOptions c;
  c.port = 1;  // refused at once
  c.connect_timeout = std::chrono::milliseconds(200);
  c.reconnect_attempts = 1;
  c.reconnect_backoff_min = std::chrono::milliseconds(10);
  c.reconnect_backoff_max = std::chrono::milliseconds(20);
  auto reg = std::make_shared<JobRegistry>();
  std::atomic<int> errors{0};
  auto wo = fast_worker({"q"});
  wo.log = [](LogLevel, std::string_view) {};
  wo.events.on_error = [&](const std::string&, const std::string&) { ++errors; };
  Worker w(c, reg, wo);
  w.start();
  // With backoff capped at 20 ms, 15 retries take well under a second; the old schedule
  // (100 ms doubling to 5 s) needs over 50 s for as many.
  EXPECT_TRUE(eventually([&] { return errors >= 15; }, std::chrono::seconds(20)));
  w.stop();
}

TEST(EmbeddingHealth, PoolReportsConnectionRegistrationAndJobs) {
  RedisServer server;
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Hold", [gate] { gate->pass(); });
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.min_threads = po.max_threads = 2;
  WorkerPool pool(server.options(), reg, po);
  OpenOnExit open_on_exit{gate};
  EXPECT_FALSE(pool.health().running);
  pool.start();
  ASSERT_TRUE(eventually([&] {
    const auto h = pool.health();
    return h.running && h.connected && h.workers_registered == 2;
  }));
  auto h = pool.health();
  EXPECT_EQ(h.threads, 2u);
  EXPECT_EQ(h.jobs_in_flight, 0u);
  EXPECT_EQ(h.last_job_finished_at, std::chrono::system_clock::time_point{});
  EXPECT_TRUE(h.last_error.empty());
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Hold"));
  ASSERT_TRUE(eventually([&] { return pool.health().jobs_in_flight == 1; }));
  gate->open();
  ASSERT_TRUE(eventually([&] { return pool.health().jobs_done == 1; }));
  h = pool.health();
  EXPECT_EQ(h.jobs_in_flight, 0u);
  EXPECT_NE(h.last_job_finished_at, std::chrono::system_clock::time_point{});
  EXPECT_TRUE(pool.stop());
  h = pool.health();
  EXPECT_FALSE(h.running);
  EXPECT_FALSE(h.connected);
  EXPECT_EQ(h.threads, 0u);
  EXPECT_EQ(h.jobs_done, 1u);
}

TEST(EmbeddingHealth, WorkerAndPoolReportAWrongPassword) {
  RedisServer server(RedisServerOptions{false, "secret", {}});
  auto reg = std::make_shared<JobRegistry>();
  auto opts = server.options();
  opts.password = "wrong";
  auto wo = fast_worker({"q"});
  wo.log = [](LogLevel, std::string_view) {};
  Worker w(opts, reg, wo);
  w.start();
  ASSERT_TRUE(eventually([&] { return !w.health().last_error.empty(); }));
  const auto wh = w.health();
  EXPECT_TRUE(wh.running);
  EXPECT_FALSE(wh.connected);
  EXPECT_FALSE(wh.registered);
  EXPECT_NE(wh.last_error.find("WRONGPASS"), std::string::npos) << wh.last_error;
  EXPECT_NE(wh.last_error_at, std::chrono::system_clock::time_point{});
  w.stop();

  WorkerPoolOptions po;
  po.worker = wo;
  po.min_threads = po.max_threads = 1;
  WorkerPool pool(opts, reg, po);
  pool.start();
  ASSERT_TRUE(eventually([&] { return !pool.health().last_error.empty(); }));
  const auto ph = pool.health();
  EXPECT_TRUE(ph.running);
  EXPECT_FALSE(ph.connected);
  EXPECT_EQ(ph.workers_registered, 0u);
  EXPECT_NE(ph.last_error.find("WRONGPASS"), std::string::npos) << ph.last_error;
}

TEST(EmbeddingHealth, SchedulerReportsLeadershipAndLostRedis) {
  RedisServer server;
  SchedulerOptions so;
  so.poll_interval = std::chrono::milliseconds(20);
  so.log = [](LogLevel, std::string_view) {};
  Scheduler s(server.options(), nullptr, so);
  EXPECT_FALSE(s.health().running);
  s.start();
  ASSERT_TRUE(eventually([&] {
    const auto h = s.health();
    return h.running && h.connected && h.leading &&
           h.last_poll_at != std::chrono::system_clock::time_point{};
  }));
  EXPECT_TRUE(s.health().last_error.empty());
  server.stop();
  ASSERT_TRUE(eventually([&] { return !s.health().connected; }));
  EXPECT_FALSE(s.health().last_error.empty());
  s.stop();
  EXPECT_FALSE(s.health().running);
  EXPECT_FALSE(s.health().leading);
}

namespace {
// Drops every job before it runs (a veto without re-enqueue).
struct DropAll : Plugin {
  std::string name() const override { return "DropAll"; }
  bool before_perform(HookContext&) override { return false; }
};
}  // namespace

TEST(EmbeddingMetrics, JobStatsCountOutcomesByClassAndQueueAndMatchRedis) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Ok", [] {});
  reg->define("Boom", [] { throw std::runtime_error("boom"); });
  reg->define("Dropped", [] {}, {std::make_shared<DropAll>()});
  Queue q(server.options(), reg);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.enqueue("a", "Ok"));
  ASSERT_TRUE(q.enqueue("b", "Ok"));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(q.enqueue("a", "Boom"));
  ASSERT_TRUE(q.enqueue("a", "Dropped"));
  WorkerPoolOptions po;
  po.worker = fast_worker({"a", "b"});
  po.min_threads = po.max_threads = 2;
  WorkerPool pool(server.options(), reg, po);
  pool.start();
  ASSERT_TRUE(eventually([&] { return pool.jobs_done() == 7; }));
  const auto stats = pool.job_stats();
  ASSERT_TRUE(pool.stop());
  EXPECT_EQ(pool.job_stats().size(), stats.size());  // kept after the workers are gone
  const auto& ok_a = stats.at({"Ok", "a"});
  EXPECT_EQ(ok_a.processed, 3u);
  EXPECT_EQ(ok_a.performed, 3u);
  std::uint64_t in_buckets = 0;
  for (auto n : ok_a.perform_buckets) in_buckets += n;
  EXPECT_EQ(in_buckets, 3u);
  EXPECT_EQ(stats.at({"Ok", "b"}).processed, 1u);
  EXPECT_EQ(stats.at({"Boom", "a"}).failed, 2u);
  EXPECT_EQ(stats.at({"Boom", "a"}).processed, 0u);
  EXPECT_EQ(stats.at({"Dropped", "a"}).vetoed, 1u);
  EXPECT_EQ(stats.at({"Dropped", "a"}).performed, 0u);
  Connection c(server.options());
  std::uint64_t processed = 0, failed = 0;
  for (const auto& [k, v] : stats) {
    processed += v.processed;
    failed += v.failed;
  }
  // Resque's stat:processed counts failed jobs too.
  EXPECT_EQ(static_cast<long long>(processed + failed), get_int(c, "resque:stat:processed"));
  EXPECT_EQ(static_cast<long long>(failed), get_int(c, "resque:stat:failed"));
  EXPECT_EQ(static_cast<long long>(failed), c.command({"LLEN", "resque:failed"}).integer());
}

// A worker process SIGKILLed mid-job: the Scheduler that puts its job back counts it as
// recovered under the job's class and queue (job_stats(); resque_jobs_recovered_total).
TEST(EmbeddingMetrics, SchedulerCountsTheJobsItRecoveredByClassAndQueue) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  ASSERT_TRUE(q.enqueue("slow", "SlowJob", Json::array({7})));
  Process child({std::string(RESQUE_TEST_BIN_DIR) + "/sched_worker_child", "worker",
                 std::to_string(server.port()), "slow", "600000"});
  ASSERT_TRUE(child.wait_for_output("READY")) << child.output();
  ASSERT_TRUE(eventually(
      [&] {
        return c.command({"LLEN", "resque:test:started"}).integer() == 1;
      },
      std::chrono::seconds(20)))
      << child.output();
  child.signal(SIGKILL);
  child.wait();
  ASSERT_EQ(c.command({"LLEN", "resque:queue:slow"}).integer(), 0);  // the job is in flight

  auto o = fast_scheduler("recoverer");
  o.dead_worker_threshold = std::chrono::seconds(1);
  auto sink = std::make_shared<LogSink>();
  o.log = sink->fn();
  Scheduler s(server.options(), nullptr, o);
  EXPECT_TRUE(s.job_stats().empty());
  // The heartbeat turns stale a second after the kill; each poll checks for dead workers.
  ASSERT_TRUE(
      eventually([&] { return s.run_once().workers_recovered == 1; }, std::chrono::seconds(20)));
  const JobStatsMap stats = s.job_stats();
  ASSERT_EQ(stats.size(), 1u);
  const JobStats& st = stats.at({"SlowJob", "slow"});
  EXPECT_EQ(st.recovered, 1u);
  EXPECT_EQ(st.recovered_failed, 0u);
  EXPECT_EQ(st.processed + st.failed + st.performed, 0u);
  // It matches Redis: the job is back on its queue, nothing in the failed list.
  EXPECT_EQ(c.command({"LLEN", "resque:queue:slow"}).integer(), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
  EXPECT_EQ(s.run_once().workers_recovered, 0u);
  EXPECT_EQ(s.job_stats().at({"SlowJob", "slow"}).recovered, 1u);
  // Its info lines carry the structured fields the worker's do.
  EXPECT_EQ(sink->count(LogLevel::Info, "scheduler=recoverer is now the leader"), 1u);
  EXPECT_EQ(sink->count(LogLevel::Info, "scheduler=recoverer worker="), 1u);
  EXPECT_EQ(sink->count(LogLevel::Info, "resque-cpp worker was dead"), 1u);
}

// The scheduler's warnings reach stderr with no logger set, in the worker's format: timestamp,
// level, then scheduler= and worker= fields.
TEST(EmbeddingLogging, SchedulerWarningsAreStructuredLinesOnStderr) {
  RedisServer server;
  Connection c(server.options());
  // A dead Ruby worker mid-job: its job goes to the failed list, which is logged as a warning.
  const std::string id = "deadhost:4242:exports";
  c.command({"SADD", "resque:workers", id});
  c.command(
      {"SET", "resque:worker:" + id,
       R"({"queue":"exports","run_at":"2020-01-01T00:00:00Z","payload":{"class":"ExportJob","args":[1]}})"});
  c.command({"HSET", "resque:workers:heartbeat", id, "2020-01-01T00:00:00+00:00"});
  SchedulerOptions so;
  so.name = "s1";  // no log function: the default one
  std::string text;
  {
    StderrCapture capture;
    Scheduler s(server.options(), nullptr, so);
    ASSERT_EQ(s.run_once().workers_recovered, 1u);
    text = capture.text();
  }
  const auto at = text.find("scheduler=s1 worker=" + id + " Ruby worker was dead");
  ASSERT_NE(at, std::string::npos) << text;
  const auto line_start = text.rfind('\n', at);
  const std::string line = text.substr(line_start == std::string::npos ? 0 : line_start + 1,
                                       text.find('\n', at) - (line_start + 1));
  EXPECT_EQ(line.substr(0, 2), "20") << line;  // starts with a timestamp
  EXPECT_NE(line.find("Z resque [warning] scheduler=s1 worker="), std::string::npos) << line;
  EXPECT_NE(line.find("1 sent to the failed list"), std::string::npos) << line;
  // Info lines (leadership) stay below the default level.
  EXPECT_EQ(text.find("is now the leader"), std::string::npos) << text;
}

namespace {
// Records the traceparent a before_perform hook sees.
struct SeeTrace : Plugin {
  std::shared_ptr<Recorder> seen;
  explicit SeeTrace(std::shared_ptr<Recorder> r) : seen(std::move(r)) {}
  std::string name() const override { return "SeeTrace"; }
  bool before_perform(HookContext& ctx) override {
    seen->add("hook:" + ctx.job.extra.value("traceparent", std::string()));
    return true;
  }
};
}  // namespace

TEST(EmbeddingTracing, EnqueuedAtAndTraceparentReachTheJobAndHooksOnlyWhenAskedFor) {
  RedisServer server;
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto seen = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("Traced",
                  [seen](const Job& j) {
                    seen->add("job:" + j.extra.value("traceparent", std::string()) +
                              (j.extra.contains("enqueued_at") ? ":at" : ""));
                  },
                  {std::make_shared<SeeTrace>(seen)});
  Queue q(server.options(), reg);
  Queue::EnqueueOptions eo;
  eo.enqueued_at = true;
  eo.traceparent = tp;
  ASSERT_TRUE(q.enqueue("t", "Traced", Json::array({1}), eo));
  ASSERT_TRUE(q.enqueue("t", "Traced", Json::array({2})));  // default: the exact Ruby bytes
  Connection c(server.options());
  const auto raw = lrange(c, "resque:queue:t");
  ASSERT_EQ(raw.size(), 2u);
  EXPECT_NE(raw[0].find("\"traceparent\":\"" + tp + "\""), std::string::npos) << raw[0];
  EXPECT_NE(raw[0].find("\"enqueued_at\":"), std::string::npos) << raw[0];
  EXPECT_EQ(raw[1], R"({"class":"Traced","args":[2]})");
  Queue::EnqueueOptions bad;
  bad.traceparent = "00-xyz";
  EXPECT_THROW((void)q.enqueue("t", "Traced", Json::array({3}), bad), ConfigError);

  Worker w(server.options(), reg, fast_worker({"t"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  w.stop();
  EXPECT_EQ(seen->count("job:" + tp + ":at"), 1u);
  EXPECT_EQ(seen->count("hook:" + tp), 1u);
  EXPECT_EQ(seen->count("job:"), 1u);
  const auto st = w.job_stats().at({"Traced", "t"});
  EXPECT_EQ(st.latency_samples, 1u);
  EXPECT_EQ(st.processed, 2u);
}
