// The Scheduler with real node-resque peers (pinned in tests/interop/node) and Ruby's golden
// snapshots: delayed jobs promoted across libraries, and leadership shared with node's
// scheduler while leaders are SIGKILLed.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>

#include "node_peer.hpp"
#include "process.hpp"
#include "redis_server.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "resque/worker.hpp"
#include "sched_support.hpp"

using namespace resque;
using namespace resque::test;

namespace {

const std::string kNodeDir = RESQUE_TEST_NODE_DIR;
const std::string kChild = std::string(RESQUE_TEST_BIN_DIR) + "/sched_worker_child";

std::pair<int, std::string> node(std::vector<std::string> args) {
  args.insert(args.begin(), "node");
  args[1] = kNodeDir + "/" + args[1];
  return run(args, {}, std::chrono::seconds(60));
}

}  // namespace

TEST(SchedulerInterop, NodeEnqueueAtPromotedByUsPerformedByNode) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  const std::string port = std::to_string(server.port());
  const std::int64_t ms = redis_now(c) * 1000 - 2000;
  auto [rc, out] = node({"scheduler_enqueue_at.js", port, std::to_string(ms), "exports",
                         "ExportJob", R"([42,"a@b.pt"])"});
  ASSERT_EQ(rc, 0) << out;
  Scheduler s(server.options(), nullptr, fast_scheduler("cpp"));
  EXPECT_EQ(s.run_once().promoted, 1u);
  // Pushed as node wrote it, so node's own tools (del, ...) still match it.
  EXPECT_EQ(
      list(c, "resque:queue:exports"),
      std::vector<std::string>{R"({"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})"});
  EXPECT_EQ(c.command({"KEYS", "resque:timestamps:*"}).size(), 0u);
  auto [wrc, wout] = node({"scheduler_work.js", port, "exports", "ExportJob", "1", "20000"});
  ASSERT_EQ(wrc, 0) << wout;
  EXPECT_EQ(list(c, "resque:interop:performed"), std::vector<std::string>{R"([42,"a@b.pt"])"});
}

TEST(SchedulerInterop, OurEnqueueAtPromotedByNodeSchedulerPerformedByUs) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  const std::string port = std::to_string(server.port());
  Queue q(server.options());
  ASSERT_TRUE(q.enqueue_at(std::chrono::system_clock::now() - std::chrono::seconds(2), "exports",
                           "ExportJob", Json::array({42, "a@b.pt"})));
  auto [rc, out] = node({"scheduler_node_promote.js", port, "20000"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(R"("transferred":[{)"), std::string::npos) << out;
  EXPECT_EQ(
      list(c, "resque:queue:exports"),
      std::vector<std::string>{R"({"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})"});
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
  EXPECT_EQ(c.command({"KEYS", "resque:timestamps:*"}).size(), 0u);
  auto reg = std::make_shared<JobRegistry>();
  std::atomic<int> runs{0};
  reg->define("ExportJob", [&](std::int64_t id, std::string email) {
    if (id == 42 && email == "a@b.pt") ++runs;
  });
  WorkerOptions wo;
  wo.queues = {"exports"};
  wo.poll_interval = std::chrono::milliseconds(20);
  Worker w(server.options(), reg, wo);
  w.start();
  EXPECT_TRUE(eventually([&] { return runs == 1; }));
  w.stop();
}

TEST(SchedulerInterop, RubyFixture02PromotedByUsPerformedByNode) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  load_fixture(c, read_fixture("ruby/02-enqueue-at.json"));
  c.command({"ZADD", "resque:delayed_queue_schedule", "XX", std::to_string(redis_now(c) - 1),
             "1900000000"});
  Scheduler s(server.options(), nullptr, fast_scheduler("cpp"));
  EXPECT_EQ(s.run_once().promoted, 1u);
  EXPECT_EQ(list(c, "resque:queue:exports"),
            std::vector<std::string>{R"({"class":"ExportJob","args":[42,"a@b.pt"]})"});
  auto [rc, out] = node(
      {"scheduler_work.js", std::to_string(server.port()), "exports", "ExportJob", "1", "20000"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(list(c, "resque:interop:performed"), std::vector<std::string>{R"([42,"a@b.pt"])"});
}

TEST(SchedulerInterop, OneLeaderAmongTwoOfOursAndNodeWhileLeadersAreKilled) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  const std::string port = std::to_string(server.port());
  constexpr int kTtl = 2, kPollMs = 100;
  std::map<std::string, std::unique_ptr<Process>> alive;
  alive["cpp-a"] = std::make_unique<Process>(std::vector<std::string>{
      kChild, "scheduler", port, "cpp-a", std::to_string(kTtl), std::to_string(kPollMs)});
  alive["cpp-b"] = std::make_unique<Process>(std::vector<std::string>{
      kChild, "scheduler", port, "cpp-b", std::to_string(kTtl), std::to_string(kPollMs)});
  alive["node-n"] = std::make_unique<Process>(
      std::vector<std::string>{"node", kNodeDir + "/scheduler_leader.js", port, "node-n",
                               std::to_string(kTtl), std::to_string(kPollMs)});
  for (auto& [name, p] : alive) ASSERT_TRUE(p->wait_for_output("READY")) << name << p->output();

  // At every look: at most one live scheduler claims to lead, and the lock names a live one.
  int samples = 0, violations = 0;
  auto claims_ok = [&] {
    int leaders = 0;
    const auto all = c.command({"HGETALL", "resque:test:claims"}).strings();
    for (std::size_t i = 0; i + 1 < all.size(); i += 2)
      if (alive.count(all[i]) && all[i + 1] == "1") ++leaders;
    ++samples;
    violations += leaders > 1;
    return leaders;
  };
  auto holder = [&] {
    auto r = c.command({"GET", "resque:resque_scheduler_leader_lock"});
    return r.is_nil() ? std::string() : r.string();
  };
  std::vector<std::string> leaders_seen;
  for (int round = 0; round < 2; ++round) {
    std::string h;
    ASSERT_TRUE(eventually(
        [&] {
          h = holder();
          return alive.count(h) > 0 && claims_ok() == 1;
        },
        std::chrono::seconds(kTtl * 3)));
    leaders_seen.push_back(h);
    alive[h]->signal(SIGKILL);
    alive[h]->wait();
    alive.erase(h);
    // The next leader takes over within the TTL plus one poll (with slack for a loaded box).
    ASSERT_TRUE(eventually(
        [&] {
          claims_ok();
          const std::string n = holder();
          return alive.count(n) > 0;
        },
        std::chrono::milliseconds(kTtl * 1000 + kPollMs + 3000)))
        << "no new leader after killing " << h;
  }
  ASSERT_TRUE(eventually([&] { return claims_ok() == 1; }, std::chrono::seconds(5)));
  std::cout << "[ scheduler ] leaders in turn: " << leaders_seen[0] << ", " << leaders_seen[1]
            << ", " << holder() << " (" << samples << " samples)" << std::endl;
  EXPECT_EQ(violations, 0);
  for (auto& [name, p] : alive) p->signal(SIGTERM);
  for (auto& [name, p] : alive) EXPECT_EQ(p->wait(std::chrono::seconds(20)), 0) << name;
  // The survivor released its lock on a clean stop.
  EXPECT_TRUE(eventually([&] { return holder().empty(); }));
}
