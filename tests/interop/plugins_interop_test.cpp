// Plugins in a mixed fleet: node-resque 9.7.1's own QueueLock, JobLock and Retry plugins and
// resque-cpp's on one Redis. Without node-resque they skip, saying how to install it (in CI they
// fail: RESQUE_REQUIRE_NODE).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>

#include "plugin_support.hpp"
#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/plugins.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"

using namespace resque;
using namespace std::chrono_literals;
using resque::test::enter_running;
using resque::test::eventually;
using resque::test::node_script;
using resque::test::Process;
using resque::test::promote_all_delayed;
using resque::test::RedisServer;

namespace {

std::map<std::string, std::string> node_env(const RedisServer& s) {
  return {{"REDIS_PORT", std::to_string(s.port())}};
}

// node plugin_enqueue.js ...: true when node-resque accepted the enqueue.
bool node_enqueue(const RedisServer& s, const std::string& queue, const std::string& klass,
                  const std::string& args, const std::string& plugins) {
  auto [status, out] = resque::test::run(
      {"node", node_script("plugin_enqueue.js"), queue, klass, args, plugins}, node_env(s));
  EXPECT_EQ(status, 0) << out;
  if (out.find(R"({"enqueued":true})") != std::string::npos) return true;
  EXPECT_NE(out.find(R"({"enqueued":false})"), std::string::npos) << out;
  return false;
}

long long get_int(Connection& c, const std::string& key) {
  auto r = c.command({"GET", key});
  return r.is_nil() ? 0 : r.integer();
}

WorkerOptions wopts(std::vector<std::string> queues) {
  WorkerOptions o;
  o.queues = std::move(queues);
  o.poll_interval = 20ms;
  return o;
}

// The same job body as plugin_worker.js: counts itself in resque:interop:running/max_running,
// records itself in resque:interop:performed, waits for `hold` when set.
std::function<void(const Job&)> counted(ConnectionOptions o, std::string hold = {}) {
  return [o, hold](const Job& job) {
    Connection c(o);
    enter_running(c, "resque:interop:running", "resque:interop:max_running");
    c.command({"RPUSH", "resque:interop:performed",
               encode_json(Json{{"by", "cpp"}, {"args", job.args}})});
    if (!hold.empty()) eventually([&] { return c.command({"EXISTS", hold}).integer() == 1; }, 30s);
    c.command({"DECR", "resque:interop:running"});
  };
}

}  // namespace

// ---- QueueLock ---------------------------------------------------------------------------

TEST(PluginsInterop, NodeQueueLockRefusesOurDuplicateAndOursRefusesNodes) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("ExportJob", [](const Job&) {}, {std::make_shared<plugins::QueueLock>()});
  Queue q(server.options(), reg);
  const Json args = Json::parse(R"([42,"a@b.pt"])");
  const std::string key = R"(resque:lock:ExportJob:exports:[42,"a@b.pt"])";

  // node first, then us.
  ASSERT_TRUE(node_enqueue(server, "exports", "ExportJob", R"([42,"a@b.pt"])", "QueueLock"));
  EXPECT_GT(c.command({"TTL", key}).integer(), 0);
  EXPECT_FALSE(q.enqueue("exports", "ExportJob", args));
  EXPECT_EQ(c.command({"LLEN", "resque:queue:exports"}).integer(), 1);

  // us first, then node (another job, so another lock).
  const Json args2 = Json::parse(R"([43,"a@b.pt"])");
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", args2));
  EXPECT_FALSE(node_enqueue(server, "exports", "ExportJob", R"([43,"a@b.pt"])", "QueueLock"));
  EXPECT_EQ(c.command({"LLEN", "resque:queue:exports"}).integer(), 2);

  // A resque-cpp worker performing node's QueueLock'ed job releases node's lock.
  Worker w(server.options(), reg, wopts({"exports"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  EXPECT_TRUE(w.stop());
  EXPECT_EQ(c.command({"EXISTS", key}).integer(), 0);
  EXPECT_TRUE(c.command({"KEYS", "resque:lock:*"}).strings().empty());
  // And node accepts the job again.
  EXPECT_TRUE(node_enqueue(server, "exports", "ExportJob", R"([42,"a@b.pt"])", "QueueLock"));
}

TEST(PluginsInterop, NodeReadsOurQueueLockValue) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("ExportJob", [](const Job&) {}, {std::make_shared<plugins::QueueLock>()});
  Queue q(server.options(), reg);
  const std::string key = "resque:lock:ExportJob:exports:[1]";
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::array({1})));
  // Our value (now + 3600 + 1) is a plain integer node compares with its clock: refused
  // while live.
  EXPECT_FALSE(node_enqueue(server, "exports", "ExportJob", "[1]", "QueueLock"));
  // A lock of ours that went stale a second ago, left without TTL (a crashed node client's
  // lock looks like this): node finds it stale by its value and takes it over.
  const long long now = std::stoll(c.command({"TIME"}).element(0).string());
  c.command({"SET", key, std::to_string(now - 1)});
  EXPECT_TRUE(node_enqueue(server, "exports", "ExportJob", "[1]", "QueueLock"));
  EXPECT_GT(std::stoll(c.command({"GET", key}).string()), now);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:exports"}).integer(), 2);
}

// ---- JobLock -----------------------------------------------------------------------------

TEST(PluginsInterop, NodeHoldsTheJobLockOurWorkerReEnqueuesTheCopy) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  Queue raw(server.options());
  const std::string lock = "resque:workerslock:SlowJob:locks:[7]";
  ASSERT_TRUE(raw.enqueue("locks", "SlowJob", Json::array({7})));
  Process node(
      {"node", node_script("plugin_worker.js"), "locks", "SlowJob", "JobLock"},
      {{"REDIS_PORT", std::to_string(server.port())}, {"HOLD_KEY", "resque:interop:release"}});
  ASSERT_TRUE(node.wait_for_output("performing")) << node.output();
  const std::string node_value = c.command({"GET", lock}).string();
  EXPECT_GT(c.command({"PTTL", lock}).integer(), 0);

  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("SlowJob", counted(server.options()), {std::make_shared<plugins::JobLock>()});
  std::atomic<int> re{0};
  auto o = wopts({"locks"});
  o.events.on_re_enqueue = [&](const std::string&, const Job&, const std::string& p) {
    if (p == "JobLock") ++re;
  };
  Worker w(server.options(), reg, o);
  w.start();
  ASSERT_TRUE(raw.enqueue("locks", "SlowJob", Json::array({7})));
  ASSERT_TRUE(eventually([&] { return re == 1; }));
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 1);
  EXPECT_EQ(c.command({"GET", lock}).string(), node_value);
  EXPECT_EQ(c.command({"LLEN", "resque:interop:performed"}).integer(), 1);

  // node finishes and deletes its lock; the re-enqueued copy then runs here.
  c.command({"SET", "resque:interop:release", "1"});
  ASSERT_TRUE(node.wait_for_output("event success")) << node.output();
  ASSERT_TRUE(eventually([&] { return c.command({"EXISTS", lock}).integer() == 0; }));
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(), 0) << node.output();
  promote_all_delayed(c, raw.keys());
  ASSERT_TRUE(eventually([&] {
    return c.command({"LLEN", "resque:interop:performed"}).integer() == 2;
  }));
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  EXPECT_TRUE(w.stop());
  EXPECT_EQ(get_int(c, "resque:interop:max_running"), 1);
  EXPECT_EQ(c.command({"EXISTS", lock}).integer(), 0);
  const auto performed = c.command({"LRANGE", "resque:interop:performed", "0", "-1"}).strings();
  EXPECT_NE(performed[0].find(R"("by":"node")"), std::string::npos);
  EXPECT_NE(performed[1].find(R"("by":"cpp")"), std::string::npos);
}

TEST(PluginsInterop, WeHoldTheJobLockNodeReEnqueuesTheCopy) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  Queue raw(server.options());
  const std::string lock = "resque:workerslock:SlowJob:locks:[7]";
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("SlowJob", counted(server.options(), "resque:interop:release"),
                  {std::make_shared<plugins::JobLock>()});
  Worker w(server.options(), reg, wopts({"locks"}));
  ASSERT_TRUE(raw.enqueue("locks", "SlowJob", Json::array({7})));
  w.start();
  ASSERT_TRUE(eventually([&] { return get_int(c, "resque:interop:running") == 1; }));
  const std::string our_value = c.command({"GET", lock}).string();
  EXPECT_GT(c.command({"PTTL", lock}).integer(), 0);

  ASSERT_TRUE(raw.enqueue("locks", "SlowJob", Json::array({7})));
  Process node({"node", node_script("plugin_worker.js"), "locks", "SlowJob", "JobLock"},
               node_env(server));
  // node's JobLock puts the copy in the delayed queue (and emits nothing).
  ASSERT_TRUE(eventually([&] {
    return c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer() == 1;
  }));
  EXPECT_EQ(c.command({"LLEN", "resque:queue:locks"}).integer(), 0);
  EXPECT_EQ(c.command({"GET", lock}).string(), our_value);
  EXPECT_EQ(c.command({"LLEN", "resque:interop:performed"}).integer(), 1);
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(), 0) << node.output();
  EXPECT_EQ(node.output().find("performing"), std::string::npos) << node.output();

  // We finish and release our lock (it still holds our value); the copy then runs here.
  c.command({"SET", "resque:interop:release", "1"});
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  EXPECT_EQ(c.command({"EXISTS", lock}).integer(), 0);
  promote_all_delayed(c, raw.keys());
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  EXPECT_TRUE(w.stop());
  EXPECT_EQ(get_int(c, "resque:interop:max_running"), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:interop:performed"}).integer(), 2);
}

// ---- Retry -------------------------------------------------------------------------------

TEST(PluginsInterop, RetryKeysAreComputedAsNodeComputesThem) {
  RESQUE_REQUIRE_NODE();
  const std::vector<std::string> cases = {
      R"([42,"a@b.pt"])",
      R"([1,"x y",{"a":1}])",
      "[]",
      R"([" "])",
      R"([null,true,false,1.5,1e21,-0.000001,[1,[2]],{"k":"v w"}])",
      "[\"\\tlead\"]",
      "[\"a\\u00a0b c\"]",
      "[\"\\u2028x\"]",
      R"(["é ü"])",
      "[12345678901234567890]"};
  std::string all = "[";
  for (std::size_t i = 0; i < cases.size(); ++i) all += (i ? "," : "") + cases[i];
  all += "]";
  auto [status, out] =
      resque::test::run({"node", node_script("plugin_retry_keys.js"), all, "ExportJob"});
  ASSERT_EQ(status, 0) << out;
  const Json keys = decode_json(out);
  ASSERT_EQ(keys.size(), cases.size());
  Keys k;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string ak = plugins::Retry::args_key(decode_json(cases[i]));
    EXPECT_EQ(k.retry_counter("ExportJob", ak), keys[i]["retry"].get<std::string>()) << cases[i];
    EXPECT_EQ(k.retry_failure("ExportJob", ak), keys[i]["failure"].get<std::string>()) << cases[i];
  }
}

TEST(PluginsInterop, RetryAttemptsAreCountedTogetherWithNode) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  Queue raw(server.options());
  const std::string opts = R"({"Retry":{"retryLimit":3,"retryDelay":1000}})";
  const std::string counter = "resque:resque-retry:ExportJob:42-a@b.pt";
  const std::string failure = "resque:failure-resque-retry:ExportJob:42-a@b.pt";
  auto node_attempt = [&] {
    auto [status, out] = resque::test::run(
        {"node", node_script("plugin_worker.js"), "exports", "ExportJob", "Retry", opts},
        {{"REDIS_PORT", std::to_string(server.port())}, {"FAIL", "1"}, {"ONCE", "1"}});
    EXPECT_EQ(status, 0) << out;
    return out;
  };
  ASSERT_TRUE(raw.enqueue("exports", "ExportJob", Json::parse(R"([42,"a@b.pt"])")));

  // Attempt 1 (node): fails, re-delayed, counter 0.
  const std::string out1 = node_attempt();
  EXPECT_NE(out1.find("event reEnqueue"), std::string::npos) << out1;
  EXPECT_EQ(c.command({"GET", counter}).string(), "0");
  ASSERT_EQ(promote_all_delayed(c, raw.keys()), 1);

  // Attempt 2 (us): fails, counter 1, still retried (3 attempts in all).
  auto reg = std::make_shared<JobRegistry>();
  plugins::Retry::Options ro;
  ro.retry_limit = 3;
  ro.retry_delay = 1000ms;
  reg->define_raw("ExportJob", [](const Job&) { throw std::runtime_error("boom"); },
                  {std::make_shared<plugins::Retry>(ro)});
  {
    Worker w(server.options(), reg, wopts({"exports"}));
    w.start();
    ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
    EXPECT_TRUE(w.stop());
  }
  EXPECT_EQ(c.command({"GET", counter}).string(), "1");
  const Json err = decode_json(c.command({"GET", failure}).string());
  EXPECT_EQ(err["worker"], "ExportJob");
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
  EXPECT_EQ(get_int(c, "resque:stat:failed"), 2);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 0);  // node's net effect, on both sides
  ASSERT_EQ(promote_all_delayed(c, raw.keys()), 1);

  // Attempt 3 (node): the last one, a normal failure; both keys deleted.
  const std::string out3 = node_attempt();
  EXPECT_NE(out3.find("event failure"), std::string::npos) << out3;
  EXPECT_EQ(c.command({"EXISTS", counter, failure}).integer(), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 1);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
}
