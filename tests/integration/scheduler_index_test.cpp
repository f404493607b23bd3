// The Scheduler's dead-worker check reads resque-cpp's index of its workers (O(workers)); it
// scans the keyspace only at its first check and then every 10 minutes, for orphans
// (scheduler_recover.cpp), so many unrelated keys cost nothing per check.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/json.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "resque/worker.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;
using namespace std::chrono_literals;

namespace {

const std::string kChild = std::string(RESQUE_TEST_BIN_DIR) + "/sched_worker_child";

// Calls of one command so far, from INFO commandstats.
long long calls(Connection& c, const std::string& cmd) {
  const std::string info(c.command({"INFO", "commandstats"}).str());
  const std::string tag = "cmdstat_" + cmd + ":calls=";
  const auto pos = info.find(tag);
  if (pos == std::string::npos) return 0;
  return std::stoll(info.substr(pos + tag.size()));
}

}  // namespace

TEST(SchedulerIndex, DeadWorkerCheckDoesNotScanEachTime) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  // 20,000 unrelated keys.
  for (int b = 0; b < 20; ++b) {
    std::vector<std::string> cmd{"MSET"};
    for (int i = 0; i < 1000; ++i) {
      cmd.push_back("unrelated:" + std::to_string(b) + ":" + std::to_string(i));
      cmd.push_back("x");
    }
    c.pipeline({cmd});
  }
  Scheduler s(server.options(), nullptr, SchedulerOptions{});
  s.run_once();  // the first check scans once (orphans)
  const long long scans = calls(c, "scan");
  EXPECT_GT(scans, 0);

  // A resque-cpp worker dies mid-job.
  Process child({kChild, "worker", std::to_string(server.port()), "jobs", "600000"});
  ASSERT_TRUE(child.wait_for_output("READY")) << child.output();
  ASSERT_TRUE(q.enqueue("jobs", "SlowJob", {7}));
  ASSERT_TRUE(eventually([&] { return lrange(c, "resque:test:started").size() == 1; }, 30s));
  const auto workers = c.command({"SMEMBERS", "resque:workers"}).strings();
  ASSERT_EQ(workers.size(), 1u);
  const std::string id = workers[0];
  const std::string name = id.substr(0, id.rfind(':'));
  EXPECT_TRUE(is_member(c, "resque:resque-cpp:workers", id));
  child.signal(SIGKILL);
  child.wait();
  c.command({"HSET", "resque:workers:heartbeat", id, "2020-01-01T00:00:00+00:00"});
  c.command({"SET", "resque:worker:ping:" + name,
             encode_json(Json{{"time", 1577836800}, {"name", name}, {"queues", "jobs"}})});

  // Found from the index, without a scan; its job goes back to its queue.
  const auto poll = s.run_once();
  EXPECT_EQ(poll.workers_recovered, 1u);
  EXPECT_EQ(lrange(c, "resque:queue:jobs").size(), 1u);
  EXPECT_FALSE(is_member(c, "resque:resque-cpp:workers", id));
  s.run_once();
  EXPECT_EQ(calls(c, "scan"), scans);
}

// issue 11: a Ruby-dialect payload names no queue, and a peer's pruner (Ruby's
// unregister_worker) deletes worker:<id>, the other record of the queue. The worker step keeps
// the queue beside the in-flight copy (Keys::inflight_queue), so recovery of a worker on
// several queues puts the job back on the one it came from: lost 0, twice 0.
TEST(SchedulerRecover, MultiQueueWorkerWhoseStatusAPeerDeletedGetsItsJobBackOnItsQueue) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  ASSERT_EQ(q.dialect(), Dialect::ruby);
  Process child({kChild, "worker", std::to_string(server.port()), "a,b", "600000"});
  ASSERT_TRUE(child.wait_for_output("READY")) << child.output();
  ASSERT_TRUE(q.enqueue("b", "SlowJob", {7}));
  ASSERT_TRUE(eventually([&] { return lrange(c, "resque:test:started").size() == 1; }, 30s));
  const auto workers = c.command({"SMEMBERS", "resque:workers"}).strings();
  ASSERT_EQ(workers.size(), 1u);
  const std::string id = workers[0];
  const std::string name = id.substr(0, id.rfind(':'));
  ASSERT_EQ(id.substr(id.rfind(':') + 1), "a,b");
  EXPECT_EQ(c.command({"GET", "resque:resque-cpp:inflight-queue:" + id}).opt_string(),
            std::optional<std::string>("b"));
  child.signal(SIGKILL);
  child.wait();
  // Ruby's pruner unregisters it as Ruby's Worker#unregister_worker does (leaving our
  // in-flight list, which Ruby does not know).
  c.pipeline({{"SREM", "resque:workers", id},
              {"DEL", "resque:worker:" + id, "resque:worker:" + id + ":started",
               "resque:stat:processed:" + id, "resque:stat:failed:" + id},
              {"HDEL", "resque:workers:heartbeat", id}});
  c.command({"SET", "resque:worker:ping:" + name,
             encode_json(Json{{"time", 1577836800}, {"name", name}, {"queues", "a,b"}})});
  ASSERT_EQ(lrange(c, "resque:inflight:" + id).size(), 1u);

  Scheduler s(server.options(), nullptr, SchedulerOptions{});
  EXPECT_EQ(s.run_once().workers_recovered, 1u);
  EXPECT_EQ(lrange(c, "resque:queue:b"),
            std::vector<std::string>{R"({"class":"SlowJob","args":[7]})"});
  EXPECT_TRUE(lrange(c, "resque:queue:a").empty());
  EXPECT_EQ(q.failed_count(), 0) << (q.failed_count() > 0 ? q.failed()[0].raw : "");
  EXPECT_EQ(c.command({"EXISTS", "resque:inflight:" + id, "resque:resque-cpp:inflight-queue:" + id})
                .integer(),
            0);

  // A worker performs it once.
  auto done = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("SlowJob", [done](std::int64_t i) { done->add(std::to_string(i)); });
  Worker w(server.options(), reg, fast_worker({"a", "b"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return done->size() >= 1 && w.jobs_done() >= 1; }, 30s));
  EXPECT_TRUE(w.stop());
  EXPECT_EQ(done->items(), std::vector<std::string>{"7"});
  EXPECT_EQ(q.failed_count(), 0);
  // The finish deleted the kept queue with the in-flight copy.
  EXPECT_EQ(c.command({"KEYS", "resque:resque-cpp:inflight-queue:*"}).size(), 0u);
}
