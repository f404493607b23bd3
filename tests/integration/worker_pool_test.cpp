// WorkerPool: many threads each taking jobs exactly once, scaling with the backlog, stopping,
// and Ruby's signal mapping in a standalone worker process.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/keys.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker_pool.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

namespace {
std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}
}  // namespace

TEST(WorkerPool, FourThreadsPerformEveryJobExactlyOnce) {
  RedisServer server;
  constexpr int kJobs = 1000;
  std::mutex mu;
  std::map<std::int64_t, int> seen;
  std::set<std::thread::id> threads;
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Count", [&](std::int64_t n) {
    std::lock_guard<std::mutex> l(mu);
    ++seen[n];
    threads.insert(std::this_thread::get_id());
  });
  Queue q(server.options(), reg);
  std::vector<Job> jobs;
  for (int i = 0; i < kJobs; ++i) jobs.push_back(Job{"Count", "q", Json::array({i}), {}});
  ASSERT_EQ(q.enqueue_batch(jobs), static_cast<std::size_t>(kJobs));

  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.min_threads = po.max_threads = 4;
  WorkerPool pool(server.options(), reg, po);
  pool.start();
  EXPECT_EQ(pool.size(), 4u);
  const auto ids = pool.worker_ids();
  ASSERT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 4u);
  // node's naming for the extra workers of a process: host:pid+N:queues.
  EXPECT_NE(ids[1].find("+"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return pool.jobs_done() == static_cast<std::uint64_t>(kJobs); }));
  Connection c(server.options());
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 4);
  EXPECT_TRUE(pool.stop());
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kJobs));
  for (const auto& [n, count] : seen) EXPECT_EQ(count, 1) << "job " << n;
  EXPECT_GE(threads.size(), 2u);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), kJobs);
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 0);
}

TEST(WorkerPool, GrowsUnderBacklogAndShrinksWhenIdle) {
  RedisServer server;
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Hold", [gate] { gate->pass(); });
  Connection c(server.options());
  for (int i = 0; i < 10; ++i) push_raw(c, "q", R"({"class":"Hold","args":[]})");
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.min_threads = 1;
  po.max_threads = 4;
  po.scale_interval = std::chrono::milliseconds(20);
  WorkerPool pool(server.options(), reg, po);
  OpenOnExit open_on_exit{gate};
  pool.start();
  EXPECT_EQ(pool.size(), 1u);
  // Every thread busy and jobs waiting: the pool grows to its maximum, no further.
  ASSERT_TRUE(eventually([&] { return pool.size() == 4 && gate->entered() == 4; }));
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 4);
  gate->open();
  ASSERT_TRUE(eventually([&] { return pool.jobs_done() == 10; }));
  // Queues empty: back to min_threads; retired workers unregistered.
  ASSERT_TRUE(eventually([&] { return pool.size() == 1; }));
  ASSERT_TRUE(eventually([&] { return c.command({"SCARD", "resque:workers"}).integer() == 1; }));
  EXPECT_EQ(pool.jobs_done(), 10u);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 10);
  EXPECT_TRUE(pool.stop());
  EXPECT_EQ(pool.size(), 0u);
}

TEST(WorkerPool, GrowsUnderABacklogOfShortJobs) {
  RedisServer server;
  constexpr int kJobs = 5000;
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Short", [](std::int64_t) {});
  Queue q(server.options(), reg);
  std::vector<Job> jobs;
  for (int i = 0; i < kJobs; ++i) jobs.push_back(Job{"Short", "q", Json::array({i}), {}});
  ASSERT_EQ(q.enqueue_batch(jobs), static_cast<std::size_t>(kJobs));
  auto events = std::make_shared<Recorder>();
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.worker.events = recording_events(events);
  po.min_threads = 1;
  po.max_threads = 3;
  po.scale_interval = std::chrono::milliseconds(10);
  WorkerPool pool(server.options(), reg, po);
  pool.start();
  // Threads going from job to job are never idle, so the backlog makes the pool grow even
  // though each job is over in microseconds.
  EXPECT_TRUE(eventually([&] { return events->count("start") == 3; }));
  ASSERT_TRUE(eventually([&] { return pool.jobs_done() == static_cast<std::uint64_t>(kJobs); }));
  EXPECT_TRUE(eventually([&] { return pool.size() == 1; }));
  EXPECT_TRUE(pool.stop());
}

TEST(WorkerPool, StopStopsEveryWorker) {
  RedisServer server;
  auto performed = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Rec", [performed](std::string s) { performed->add(s); });
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"});
  po.min_threads = po.max_threads = 3;
  WorkerPool pool(server.options(), reg, po);
  pool.start();
  Connection c(server.options());
  ASSERT_TRUE(eventually([&] { return c.command({"SCARD", "resque:workers"}).integer() == 3; }));
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Rec", Json::array({"x"})));
  ASSERT_TRUE(eventually([&] { return performed->size() == 1; }));
  EXPECT_TRUE(pool.stop());
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_TRUE(pool.worker_ids().empty());
  EXPECT_EQ(pool.jobs_done(), 1u);
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 0);
  EXPECT_EQ(c.command({"HLEN", "resque:workers:heartbeat"}).integer(), 0);
  EXPECT_TRUE(c.command({"KEYS", "resque:worker:*"}).strings().empty());
  // Stopped means stopped: a job enqueued now stays queued.
  ASSERT_TRUE(q.enqueue("q", "Rec", Json::array({"y"})));
  EXPECT_FALSE(eventually([&] { return performed->size() > 1; }, std::chrono::milliseconds(200)));
}

TEST(WorkerPool, RunUntilSignalledMapsRubysSignals) {
  RedisServer server;
  Connection c(server.options());
  Process child({std::string(RESQUE_TEST_BIN_DIR) + "/worker_child", "pool",
                 std::to_string(server.port()), "sig"});
  ASSERT_TRUE(eventually([&] { return occurrences(child.output(), "id ") == 2; }))
      << child.output();
  ASSERT_TRUE(eventually([&] { return c.command({"SCARD", "resque:workers"}).integer() == 2; }));

  // USR2 pauses every worker of the pool.
  child.signal(SIGUSR2);
  ASSERT_TRUE(eventually([&] { return occurrences(child.output(), "paused ") == 2; }))
      << child.output();
  push_raw(c, "sig", R"({"class":"Note","args":["while-paused"]})");
  EXPECT_FALSE(child.wait_for_output("performed while-paused", std::chrono::milliseconds(300)));
  EXPECT_EQ(c.command({"LLEN", "resque:queue:sig"}).integer(), 1);

  // CONT resumes.
  child.signal(SIGCONT);
  ASSERT_TRUE(child.wait_for_output("performed while-paused")) << child.output();

  // TERM stops gracefully: exit 0, every worker unregistered.
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait(std::chrono::seconds(10)), 0) << child.output();
  EXPECT_NE(child.output().find("stopped"), std::string::npos);
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 0);
  EXPECT_EQ(c.command({"HLEN", "resque:workers:heartbeat"}).integer(), 0);
  EXPECT_TRUE(c.command({"KEYS", "resque:worker:*"}).strings().empty());
}

namespace {
long long scripts_run(Connection& c) {
  const std::string info = c.command({"INFO", "commandstats"}).string();
  long long n = 0;
  for (const std::string name : {"cmdstat_evalsha:calls=", "cmdstat_eval:calls="}) {
    const auto p = info.find(name);
    if (p != std::string::npos) n += std::stoll(info.substr(p + name.size()));
  }
  return n;
}

}  // namespace

TEST(WorkerPool, OneEnqueueIntoAnIdlePoolWakesOneThread) {
  RedisServer server;
  Connection c(server.options());
  std::atomic<int> polls{0}, performed{0};
  std::mutex mu;
  std::set<std::string> pollers;
  auto reg = std::make_shared<JobRegistry>();
  reg->define("J", [&](std::int64_t) { ++performed; });
  WorkerPoolOptions po;
  // No poll inside the test's window: only the announcement can wake a thread.
  po.worker = fast_worker({"q"}, std::chrono::seconds(60));
  po.worker.events.on_poll = [&](const std::string& id) {
    std::lock_guard<std::mutex> l(mu);
    pollers.insert(id);
    ++polls;
  };
  po.min_threads = po.max_threads = 64;
  WorkerPool pool(server.options(), reg, po);
  pool.start();
  // Every thread idle: each of the 64 has polled (not 64 polls: the wake-up the Notifier gives
  // when its subscription starts makes one thread poll twice, so 64 polls could be counted while
  // a thread had yet to take its first step, which then landed inside the window), and the
  // subscription that wake-up comes from is in place.
  const std::string channel = Keys("resque").enqueue_channel();
  ASSERT_TRUE(eventually([&] {
    {
      std::lock_guard<std::mutex> l(mu);
      if (pollers.size() < 64) return false;
    }
    return c.command({"PUBSUB", "NUMSUB", channel}).element(1).integer() >= 1;
  }));
  Queue q(server.options());
  q.enqueue("warm", "J", Json::array({0}));  // loads the enqueue script (EVALSHA, then EVAL)
  const long long before = scripts_run(c);
  const int polls_before = polls.load();
  q.enqueue("q", "J", Json::array({1}));
  // Performed, and the step that finished it found nothing more (its thread polled again).
  ASSERT_TRUE(
      eventually([&] { return performed.load() == 1 && polls.load() >= polls_before + 1; }));
  // The enqueue, the woken thread's step that takes the job and its step that finishes it
  // (before: one step per thread, 65). Checked over a while, in case more threads wake late.
  EXPECT_FALSE(
      eventually([&] { return scripts_run(c) - before > 3; }, std::chrono::milliseconds(300)));
  EXPECT_EQ(scripts_run(c) - before, 3);
  pool.stop();
}

TEST(WorkerPool, OnePollerPerPoolFindsJobsOfLibrariesThatDoNotPublish) {
  RedisServer server;
  Connection c(server.options());
  std::atomic<int> polls{0}, performed{0};
  auto reg = std::make_shared<JobRegistry>();
  reg->define("J", [&](std::int64_t) { ++performed; });
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"}, std::chrono::milliseconds(100));
  po.worker.events.on_poll = [&](const std::string&) { ++polls; };
  po.min_threads = po.max_threads = 8;
  WorkerPool pool(server.options(), reg, po);
  pool.start();
  ASSERT_TRUE(eventually([&] { return polls.load() >= 8; }));
  // Idle: one thread polls every 100 ms, not each of the 8 (which would be ~80 steps a second).
  const long long before = scripts_run(c), polls_before = polls.load();
  ASSERT_TRUE(eventually([&] { return polls.load() - polls_before >= 5; }));
  const long long idle_steps = scripts_run(c) - before;
  EXPECT_LE(idle_steps, 7);
  // Jobs pushed as Ruby's Resque.push does (no announcement) are found by the poll, and the
  // poller that finds one wakes the others while its queue holds more.
  for (int i = 0; i < 50; ++i) push_raw(c, "q", Json({{"class", "J"}, {"args", {i}}}).dump());
  ASSERT_TRUE(eventually([&] { return performed.load() == 50; }));
  pool.stop();
}
