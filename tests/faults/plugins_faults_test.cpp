// A process SIGKILLed while holding each kind of plugin lock: the lock has a TTL while held and
// frees itself by it, so no lock outlives its holder for longer than its timeout.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/plugins.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"

using namespace resque;
using namespace std::chrono_literals;
using resque::test::eventually;
using resque::test::Process;
using resque::test::RedisServer;

namespace {
std::string child() {
  return std::string(RESQUE_TEST_BIN_DIR) + "/plugin_lock_child";
}
}  // namespace

TEST(PluginFaults, QueueLockOfAKilledClientExpires) {
  RedisServer server;
  Connection c(server.options());
  const std::string key = "resque:lock:HeldJob:held:[1]";
  Process p({child(), std::to_string(server.port()), "queuelock"});
  ASSERT_TRUE(p.wait_for_output("holding")) << p.output();
  const long long pttl = c.command({"PTTL", key}).integer();
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 2000);
  p.signal(SIGKILL);
  p.wait();
  ASSERT_TRUE(eventually([&] { return c.command({"EXISTS", key}).integer() == 0; }, 10s));
  // The same job can be requested again.
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("HeldJob", [](const Job&) {}, {std::make_shared<plugins::QueueLock>()});
  Queue q(server.options(), reg);
  EXPECT_TRUE(q.enqueue("held", "HeldJob", Json::array({1})));
}

TEST(PluginFaults, JobLockOfAKilledWorkerExpires) {
  RedisServer server;
  Connection c(server.options());
  Queue raw(server.options());
  ASSERT_TRUE(raw.enqueue("held", "HeldJob", Json::array({1})));
  const std::string key = "resque:workerslock:HeldJob:held:[1]";
  Process p({child(), std::to_string(server.port()), "joblock"});
  ASSERT_TRUE(p.wait_for_output("holding")) << p.output();
  const long long pttl = c.command({"PTTL", key}).integer();
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 2000);
  p.signal(SIGKILL);
  p.wait();
  ASSERT_TRUE(eventually([&] { return c.command({"EXISTS", key}).integer() == 0; }, 10s));
}

TEST(PluginFaults, ConcurrencySlotOfAKilledWorkerFreesAfterItsTtl) {
  RedisServer server;
  Connection c(server.options());
  Queue raw(server.options());
  ASSERT_TRUE(raw.enqueue("held", "HeldJob", Json::array({1})));
  const std::string key = "resque:resque-cpp:concurrency:HeldJob";
  Process p({child(), std::to_string(server.port()), "concurrency"});
  ASSERT_TRUE(p.wait_for_output("holding")) << p.output();
  EXPECT_EQ(c.command({"ZCARD", key}).integer(), 1);
  const long long pttl = c.command({"PTTL", key}).integer();
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 2000);
  p.signal(SIGKILL);
  p.wait();
  // While the dead holder's slot lives, another worker is refused; after it, it performs.
  auto reg = std::make_shared<JobRegistry>();
  std::atomic<int> performed{0};
  plugins::ConcurrencyLimit::Options co;
  co.re_enqueue_delay = 0ms;
  reg->define_raw("HeldJob", [&](const Job&) { ++performed; },
                  {std::make_shared<plugins::ConcurrencyLimit>(co)});
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("held", "HeldJob", Json::array({2})));
  WorkerOptions wo;
  wo.queues = {"held"};
  wo.poll_interval = 20ms;
  std::atomic<int> refused{0};
  wo.events.on_re_enqueue = [&](const std::string&, const Job&, const std::string&) { ++refused; };
  Worker w(server.options(), reg, wo);
  w.start();
  ASSERT_TRUE(eventually([&] { return refused > 0; }));
  // What a Scheduler does with the re-enqueued job (time ignored), in one script as the
  // Scheduler's promotion is: done in separate commands, the worker's next re-enqueue into the
  // same second could land between "the list is empty" and the ZREM, orphaning the item.
  const std::string promote_one = R"(
    local ts = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
    if not ts then return 0 end
    local list = ARGV[1] .. 'delayed:' .. ts
    local job = redis.call('LPOP', list)
    if job then
      redis.call('DEL', ARGV[1] .. 'timestamps:' .. job)
      redis.call('RPUSH', KEYS[2], job)
    end
    if redis.call('LLEN', list) == 0 then redis.call('ZREM', KEYS[1], ts) end
    return 1)";
  ASSERT_TRUE(eventually(
      [&] {
        c.command({"EVAL", promote_one, "2", "resque:delayed_queue_schedule", "resque:queue:held",
                   "resque:"});
        return performed == 1;
      },
      15s));
  EXPECT_TRUE(w.stop());
  EXPECT_EQ(c.command({"EXISTS", key}).integer(), 0);
  // The dead holder's slot lasted ~2 s; the refusals happened while it did.
  EXPECT_GT(refused.load(), 0);
}
