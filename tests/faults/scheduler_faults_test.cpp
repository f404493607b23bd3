// Crashes during a run: worker processes SIGKILLed mid-job while a Scheduler recovers them, and
// scheduler processes SIGKILLed mid-promotion. Nothing may be lost.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/queue.hpp"
#include "resque/scheduler.hpp"
#include "sched_support.hpp"

using namespace resque;
using namespace resque::test;

namespace {
const std::string kChild = std::string(RESQUE_TEST_BIN_DIR) + "/sched_worker_child";
}

TEST(SchedulerFaults, WorkersKilledMidJobTwentyTimesLoseNothing) {
  RedisServer server;
  Connection c(server.options());
  const std::string port = std::to_string(server.port());
  constexpr int kJobs = 120;
  constexpr int kKills = 20;
  {
    Queue q(server.options());
    std::vector<Job> jobs;
    for (int i = 0; i < kJobs; ++i) {
      Job j;
      j.klass = "SlowJob";
      j.queue = "work";
      j.args = Json::array({i});
      jobs.push_back(j);
    }
    ASSERT_EQ(q.enqueue_batch(jobs), static_cast<std::size_t>(kJobs));
  }
  std::atomic<int> recovered_workers{0}, requeued{0};
  auto o = fast_scheduler("recoverer");
  o.dead_worker_threshold = std::chrono::seconds(2);
  std::mutex mu;
  std::vector<std::string> recovered_ids;
  o.events.on_worker_recovered = [&](const RecoveredWorker& w) {
    {
      std::lock_guard<std::mutex> l(mu);
      recovered_ids.push_back(w.worker_id + " silent " + std::to_string(w.silent_for));
    }
    ++recovered_workers;
    requeued += static_cast<int>(w.requeued.size());
  };
  Scheduler s(server.options(), nullptr, o);
  s.start();

  for (int kill = 0; kill < kKills; ++kill) {
    Process child({kChild, "worker", port, "work", "40"});
    ASSERT_TRUE(child.wait_for_output("READY")) << child.output();
    // Even kills: mid-job (the job recorded its start and is working). Odd kills: just after a
    // job recorded its end, which may be before the worker recorded the job as done.
    const std::string mark = kill % 2 == 0 ? "resque:test:started" : "resque:test:performed";
    const long long before = c.command({"LLEN", mark}).integer();
    ASSERT_TRUE(eventually(
        [&] {
          return c.command({"LLEN", mark}).integer() > before;
        },
        std::chrono::seconds(20)))
        << child.output();
    child.signal(SIGKILL);
    child.wait();
  }

  // One last worker runs the rest, including every job the scheduler puts back.
  Process last({kChild, "worker", port, "work", "1"});
  ASSERT_TRUE(last.wait_for_output("READY"));
  std::map<std::string, int> performed;
  std::set<std::string> failed;
  auto accounted = [&] {
    performed.clear();
    failed.clear();
    for (const auto& id : list(c, "resque:test:performed")) ++performed[id];
    for (const auto& f : list(c, "resque:failed"))
      failed.insert(Json::parse(f)["payload"]["args"][0].dump());
    for (int i = 0; i < kJobs; ++i)
      if (!performed.count(std::to_string(i)) && !failed.count(std::to_string(i))) return false;
    return c.command({"LLEN", "resque:queue:work"}).integer() == 0 &&
           c.command({"KEYS", "resque:inflight:*"}).size() == 0;
  };
  ASSERT_TRUE(eventually(accounted, std::chrono::seconds(60)))
      << "performed " << performed.size() << ", failed " << failed.size();
  last.signal(SIGTERM);
  EXPECT_EQ(last.wait(), 0);
  s.stop();

  int twice = 0;
  for (const auto& [id, n] : performed) twice += n > 1;
  std::cout << "[ scheduler ] " << kKills << " workers killed mid-job; " << recovered_workers
            << " recovered, " << requeued << " job(s) put back; " << performed.size()
            << " jobs performed, " << failed.size() << " in the failed list, " << twice
            << " ran more than once; none lost" << std::endl;
  EXPECT_EQ(recovered_workers, kKills);
  for (const auto& r : recovered_ids) std::cout << r << std::endl;
  // Every killed worker is gone from the registry; only the clean stop is left (none).
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 0);
  EXPECT_EQ(c.command({"HLEN", "resque:workers:heartbeat"}).integer(), 0);
}

TEST(SchedulerFaults, SchedulersKilledMidPromotionLoseAndDuplicateNothing) {
  RedisServer server;
  Connection c(server.options());
  const std::string port = std::to_string(server.port());
  constexpr int kJobs = 3000;
  const std::int64_t now = redis_now(c);
  {
    // 30 past timestamps with 100 jobs each, written as enqueue_at writes them.
    std::vector<std::vector<std::string>> cmds;
    for (int i = 0; i < kJobs; ++i) {
      const std::string ts = std::to_string(now - 100 + i / 100);
      const std::string item = R"({"class":"J","queue":"work","args":[)" + std::to_string(i) + "]}";
      cmds.push_back({"RPUSH", "resque:delayed:" + ts, item});
      cmds.push_back({"SADD", "resque:timestamps:" + item, "delayed:" + ts});
      cmds.push_back({"ZADD", "resque:delayed_queue_schedule", ts, ts});
    }
    for (auto& r : c.pipeline(cmds)) ASSERT_FALSE(r.is_error());
  }
  int kills = 0;
  for (; kills < 8; ++kills) {
    const long long before = c.command({"LLEN", "resque:queue:work"}).integer();
    if (before >= kJobs) break;
    // Same name each time: the next process renews the dead one's lock at once.
    Process child({kChild, "scheduler", port, "crashy", "5", "10", "7"});
    ASSERT_TRUE(eventually(
        [&] {
          return c.command({"LLEN", "resque:queue:work"}).integer() > before;
        },
        std::chrono::seconds(20)))
        << child.output();
    child.signal(SIGKILL);
    child.wait();
  }
  SchedulerOptions o = fast_scheduler("crashy");
  o.leader_lock_ttl = std::chrono::seconds(5);
  Scheduler s(server.options(), nullptr, o);
  ASSERT_TRUE(eventually([&] {
    s.run_once();
    return c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer() == 0;
  }));
  const auto items = list(c, "resque:queue:work");
  std::map<long long, int> seen;
  for (const auto& i : items) ++seen[Json::parse(i)["args"][0].get<long long>()];
  std::cout << "[ scheduler ] " << kills << " scheduler processes killed mid-promotion"
            << std::endl;
  EXPECT_EQ(items.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kJobs));
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(c.command({"KEYS", "resque:delayed:*"}).size(), 0u);
  EXPECT_EQ(c.command({"KEYS", "resque:timestamps:*"}).size(), 0u);
}
