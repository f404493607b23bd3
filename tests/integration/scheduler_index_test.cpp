// The Scheduler's dead-worker check reads resque-cpp's index of its workers (O(workers)); it
// scans the keyspace only at its first check and then every 10 minutes, for orphans
// (scheduler_recover.cpp), so many unrelated keys cost nothing per check.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/json.hpp"
#include "resque/queue.hpp"
#include "resque/scheduler.hpp"
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
