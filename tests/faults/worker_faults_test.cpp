// Worker behaviour when things break: the process is killed mid-job, Redis restarts while the
// worker idles and while jobs are flowing.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <map>
#include <sstream>

#include "cutting_proxy.hpp"
#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

namespace {
std::string child_bin() {
  return std::string(RESQUE_TEST_BIN_DIR) + "/worker_child";
}

// The worker ids a worker_child printed ("id <worker id>" lines).
std::vector<std::string> printed_ids(const std::string& output) {
  std::vector<std::string> ids;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("id ", 0) == 0) ids.push_back(line.substr(3));
  return ids;
}
}  // namespace

TEST(WorkerFaults, KilledMidJobLeavesTheJobInFlight) {
  RedisServer server;
  Connection c(server.options());
  const std::string payload = R"({"class":"Block","queue":"crash","args":[]})";
  push_raw(c, "crash", payload);
  Process child({child_bin(), "block", std::to_string(server.port()), "crash"});
  ASSERT_TRUE(child.wait_for_output("performing")) << child.output();
  const auto ids = printed_ids(child.output());
  ASSERT_EQ(ids.size(), 1u) << child.output();
  const std::string id = ids[0];
  EXPECT_EQ(id.substr(id.rfind(':')), ":crash");
  child.signal(SIGKILL);
  EXPECT_EQ(child.wait(), 128 + SIGKILL);

  // Not lost: out of its queue, in the worker's in-flight list and status, the worker still
  // registered (dead-worker recovery starts from there).
  EXPECT_EQ(c.command({"LLEN", "resque:queue:crash"}).integer(), 0);
  EXPECT_EQ(lrange(c, "resque:inflight:" + id), std::vector<std::string>{payload});
  const auto status = get(c, "resque:worker:" + id);
  ASSERT_TRUE(status);
  const Json s = Json::parse(*status);
  EXPECT_EQ(s["queue"], "crash");
  EXPECT_EQ(s["payload"], Json::parse(payload));
  EXPECT_TRUE(is_member(c, "resque:workers", id));
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
}

TEST(WorkerFaults, RedisRestartWhileIdle) {
  RedisServer server(RedisServerOptions{true, "", {}});
  Connection c(server.options());
  auto performed = std::make_shared<Recorder>();
  auto events = std::make_shared<Recorder>();
  auto logged = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Rec", [performed](std::string arg) { performed->add(arg); });
  auto o = fast_worker({"q"});
  o.events = recording_events(events);
  o.log = [logged](LogLevel level, std::string_view msg) {
    if (level == LogLevel::Error) logged->add(std::string(msg));
  };
  Worker w(server.options(), reg, o);
  w.start();
  ASSERT_TRUE(eventually([&] { return events->count("poll") >= 1; }));
  server.stop();
  // The worker notices (its next poll fails), reports it and keeps trying.
  ASSERT_TRUE(eventually([&] { return events->count("error") >= 1; }));
  EXPECT_GE(logged->size(), 1u);
  EXPECT_TRUE(w.running());
  server.start();
  Connection c2(server.options());
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Rec", Json::array({"after-restart"})));
  ASSERT_TRUE(eventually([&] { return performed->count("after-restart") == 1; }));
  push_raw(c2, "q", R"({"class":"Rec","args":["raw-after-restart"]})");
  ASSERT_TRUE(eventually([&] { return performed->count("raw-after-restart") == 1; }));
  EXPECT_TRUE(is_member(c2, "resque:workers", w.id()));
  // A job is counted by the step after it (the one that finishes it), so poll for the count.
  EXPECT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  EXPECT_EQ(get_int(c2, "resque:stat:processed"), 2);
}

TEST(WorkerFaults, RedisRestartWhileJobsAreFlowing) {
  RedisServer server(RedisServerOptions{true, "", {}});
  constexpr int kJobs = 600;
  auto performed = std::make_shared<Recorder>();
  auto in_flight = std::make_shared<Gate>();  // job 100 waits here across the restart
  auto flowing = std::make_shared<Gate>();    // job 300 waits until the restart begins
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Count", [=](std::int64_t n) {
    if (n == 100) in_flight->pass();
    if (n == 300) flowing->pass();
    performed->add(std::to_string(n));
  });
  {
    Queue q(server.options(), reg);
    std::vector<Job> jobs;
    for (int i = 0; i < kJobs; ++i) jobs.push_back(Job{"Count", "q", Json::array({i}), {}});
    ASSERT_EQ(q.enqueue_batch(jobs), static_cast<std::size_t>(kJobs));
  }
  auto events = std::make_shared<Recorder>();
  auto o = fast_worker({"q"});
  o.events = recording_events(events);
  Worker a(server.options(), reg, o), b(server.options(), reg, o);
  OpenOnExit open_a{in_flight}, open_b{flowing};
  a.start();
  b.start();
  // One worker holds job 100, the other ran on to job 300.
  ASSERT_TRUE(eventually([&] { return in_flight->entered() == 1 && flowing->entered() == 1; }));
  // Redis goes down in the middle of the flow: both workers hold a job, and both run into the
  // outage when they finish it (stopping first, so the flow cannot race to its end before).
  server.stop();
  flowing->open();
  EXPECT_LT(performed->size(), static_cast<std::size_t>(kJobs - 1));
  ASSERT_TRUE(eventually([&] { return events->count("error") >= 2; }));
  // Job 100 finishes while Redis is down: its outcome is sent once Redis is back.
  in_flight->open();
  server.start();
  Connection c(server.options());
  ASSERT_TRUE(eventually([&] {
    return performed->size() >= static_cast<std::size_t>(kJobs) &&
           c.command({"LLEN", "resque:queue:q"}).integer() == 0 &&
           c.command({"EXISTS", "resque:inflight:" + a.id(), "resque:inflight:" + b.id()})
                   .integer() == 0;
  }));
  // Every job exactly once, none lost, none failed, each counted once.
  std::map<std::string, int> seen;
  for (const auto& n : performed->items()) ++seen[n];
  int twice = 0;
  for (const auto& [n, count] : seen) twice += count > 1;
  std::cout << "[ restart ] enqueued " << kJobs << ", performed " << seen.size()
            << ", performed twice " << twice << ", failed "
            << c.command({"LLEN", "resque:failed"}).integer() << ", lost "
            << kJobs - static_cast<int>(seen.size()) << std::endl;
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kJobs));
  for (const auto& [n, count] : seen) EXPECT_EQ(count, 1) << "job " << n;
  EXPECT_EQ(get_int(c, "resque:stat:processed"), kJobs);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
  EXPECT_TRUE(a.stop());
  EXPECT_TRUE(b.stop());
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 0);
}

TEST(WorkerFaults, ReRegistersAfterARestartThatLostEverything) {
  // No persistence: the restarted Redis has no `workers` set; the heartbeat puts us back.
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  auto o = fast_worker({"q"});
  o.heartbeat_interval = std::chrono::milliseconds(50);
  Worker w(server.options(), reg, o);
  w.start();
  Connection c(server.options());
  ASSERT_TRUE(eventually([&] { return is_member(c, "resque:workers", w.id()); }));
  // A marker proves the restart lost everything; checking that our own entry is gone would race
  // the heartbeat, which may already have put it back.
  c.command({"SET", "marker", "1"});
  server.restart();
  Connection c2(server.options());
  ASSERT_EQ(c2.command({"EXISTS", "marker"}).integer(), 0);
  ASSERT_TRUE(eventually([&] { return is_member(c2, "resque:workers", w.id()); }));
  EXPECT_FALSE(c2.command({"HGET", "resque:workers:heartbeat", w.id()}).is_nil());
}

TEST(WorkerFaults, ConnectionCuttingProxyLosesNothing) {
  // Two workers reach Redis through a proxy that cuts every connection (steps, heartbeat and
  // pub/sub alike) every 20 ms while 2,000 jobs flow; the jobs are enqueued past the proxy.
  RedisServer server;
  CuttingProxy proxy(server.port());
  constexpr int kJobs = 2000;
  auto performed = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Count", [=](std::int64_t n) { performed->add(std::to_string(n)); });
  {
    Queue q(server.options(), reg);
    std::vector<Job> jobs;
    for (int i = 0; i < kJobs; ++i) jobs.push_back(Job{"Count", "q", Json::array({i}), {}});
    ASSERT_EQ(q.enqueue_batch(jobs), static_cast<std::size_t>(kJobs));
  }
  ConnectionOptions via = server.options();
  via.port = proxy.port();
  via.reconnect_backoff_min = std::chrono::milliseconds(5);
  via.reconnect_backoff_max = std::chrono::milliseconds(100);
  auto o = fast_worker({"q"});
  o.log = [](LogLevel, std::string_view) {};  // every cut logs an error; the figures matter
  Worker a(via, reg, o), b(via, reg, o);
  a.start();
  b.start();
  Connection c(server.options());
  auto drained = [&] {
    return performed->size() >= static_cast<std::size_t>(kJobs) &&
           c.command({"LLEN", "resque:queue:q"}).integer() == 0 &&
           c.command({"EXISTS", "resque:inflight:" + a.id(), "resque:inflight:" + b.id()})
                   .integer() == 0;
  };
  int cuts = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!drained() && std::chrono::steady_clock::now() < deadline) {
    // The fault's cadence, not synchronisation: the loop ends on the state above.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (performed->size() < static_cast<std::size_t>(kJobs)) cuts += proxy.cut() > 0 ? 1 : 0;
  }
  EXPECT_TRUE(a.stop());
  EXPECT_TRUE(b.stop());
  std::map<std::string, int> seen;
  for (const auto& n : performed->items()) ++seen[n];
  int twice = 0;
  for (const auto& [n, count] : seen) twice += count > 1;
  const long long failed = c.command({"LLEN", "resque:failed"}).integer();
  const int lost = kJobs - static_cast<int>(seen.size()) - static_cast<int>(failed);
  std::cout << "[ proxy ] " << cuts << " cuts; enqueued " << kJobs << ", performed " << seen.size()
            << ", performed twice " << twice << ", failed " << failed << ", lost " << lost
            << std::endl;
  EXPECT_GT(cuts, 0);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 0);
}
