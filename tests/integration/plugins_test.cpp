// Plugins against a real Redis: node-resque's keys and values, veto/abort semantics, the
// worker's bookkeeping of re-enqueued and retried jobs, concurrency under many workers, and the
// seed scenario (export requests keyed on catalog id and email).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

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
using resque::test::promote_all_delayed;
using resque::test::RedisServer;

namespace {

WorkerOptions wopts(std::vector<std::string> queues) {
  WorkerOptions o;
  o.queues = std::move(queues);
  o.poll_interval = 20ms;
  return o;
}

long long get_int(Connection& c, const std::string& key) {
  auto r = c.command({"GET", key});
  return r.is_nil() ? 0 : r.integer();
}

long long server_now(Connection& c) {
  return std::stoll(c.command({"TIME"}).element(0).string());
}

// Moves delayed jobs into their queues while alive (the Scheduler's job, time ignored).
class Promoter {
 public:
  explicit Promoter(ConnectionOptions o) : conn_(std::move(o)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        try {
          moved_ += promote_all_delayed(conn_, keys_);
        } catch (const Error&) {
        }
        std::this_thread::sleep_for(2ms);  // polling period, not synchronisation
      }
    });
  }
  ~Promoter() {
    stop_ = true;
    thread_.join();
  }
  long long moved() const { return moved_; }

 private:
  Connection conn_;
  Keys keys_;
  std::atomic<bool> stop_{false};
  std::atomic<long long> moved_{0};
  std::thread thread_;
};

// A job body that counts itself in test:running/test:max, records its args in test:performed
// and, while `hold_key` is set and missing, waits for it (the test releases it).
std::function<void(const Job&)> counted(ConnectionOptions o, std::string hold_key = {},
                                        std::string running = "test:running",
                                        std::string max = "test:max") {
  return [o, hold_key, running, max](const Job& job) {
    Connection c(o);
    enter_running(c, running, max);
    c.command({"RPUSH", "test:performed", encode_json(job.args)});
    if (!hold_key.empty())
      eventually([&] { return c.command({"EXISTS", hold_key}).integer() == 1; }, 30s);
    else
      std::this_thread::sleep_for(2ms);  // simulated work, so performs can overlap
    c.command({"DECR", running});
  };
}

template <class P, class... A>
PluginPtr make(A&&... a) {
  return std::make_shared<P>(std::forward<A>(a)...);
}

}  // namespace

// ---- QueueLock ---------------------------------------------------------------------------

TEST(QueueLock, RefusesADuplicateAndWritesNodesKeyAndValue) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("ExportJob", [](const Job&) {}, {make<plugins::QueueLock>()});
  Queue q(server.options(), reg);
  Connection c(server.options());
  const Json args = Json::parse(R"([42,"a@b.pt"])");
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", args));
  EXPECT_FALSE(q.enqueue("exports", "ExportJob", args));
  EXPECT_TRUE(q.enqueue("exports", "ExportJob", Json::parse(R"([43,"a@b.pt"])")));
  EXPECT_EQ(c.command({"LLEN", "resque:queue:exports"}).integer(), 2);
  const std::string key = R"(resque:lock:ExportJob:exports:[42,"a@b.pt"])";
  const std::string value = c.command({"GET", key}).string();
  ASSERT_EQ(value.find_first_not_of("0123456789"), std::string::npos) << value;
  const long long now = server_now(c);
  EXPECT_GE(std::stoll(value), now + 3600);  // now + 3600 + 1, node's value
  EXPECT_LE(std::stoll(value), now + 3602);
  const long long ttl = c.command({"TTL", key}).integer();
  EXPECT_GT(ttl, 3500);
  EXPECT_LE(ttl, 3600);
}

TEST(QueueLock, TakesOverAStaleLockAndHonoursALiveOneWithoutTtl) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("ExportJob", [](const Job&) {}, {make<plugins::QueueLock>()});
  Queue q(server.options(), reg);
  Connection c(server.options());
  const std::string key = R"(resque:lock:ExportJob:exports:[1])";
  // What node's SETNX-then-EXPIRE leaves after a crash in between: a value, no TTL.
  c.command({"SET", key, std::to_string(server_now(c) + 100)});
  EXPECT_FALSE(q.enqueue("exports", "ExportJob", Json::array({1})));
  c.command({"SET", key, std::to_string(server_now(c) - 5)});  // stale
  EXPECT_TRUE(q.enqueue("exports", "ExportJob", Json::array({1})));
  EXPECT_GT(std::stoll(c.command({"GET", key}).string()), server_now(c));
  EXPECT_GT(c.command({"TTL", key}).integer(), 0);
  c.command({"SET", key, "garbage"});  // NaN in node: stale too
  EXPECT_TRUE(q.enqueue("exports", "ExportJob", Json::array({1})));
  EXPECT_EQ(c.command({"LLEN", "resque:queue:exports"}).integer(), 2);
}

TEST(QueueLock, CustomKeyAndReleaseWhenAWorkerTakesTheJob) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  plugins::QueueLock::Options o;
  o.key = [](const Job& j) { return encode_json(j.args[0]) + ":" + j.args[1].get<std::string>(); };
  o.lock_timeout = 60s;
  std::atomic<int> performed{0};
  reg->define_raw("ExportJob", [&](const Job&) { ++performed; }, {make<plugins::QueueLock>(o)});
  Queue q(server.options(), reg);
  Connection c(server.options());
  const auto set_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::parse(R"([7,"m@x.pt","csv"])")));
  EXPECT_FALSE(q.enqueue("exports", "ExportJob", Json::parse(R"([7,"m@x.pt","pdf"])")));
  // 60 s, less only the time since it was set (an exact "TTL == 60" failed after a 0.5 s stall).
  const long long pttl = c.command({"PTTL", "resque:lock:ExportJob:exports:7:m@x.pt"}).integer();
  const long long elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - set_at)
                                .count();
  EXPECT_LE(pttl, 60000);
  EXPECT_GE(pttl, 60000 - elapsed - 1);
  Worker w(server.options(), reg, wopts({"exports"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  EXPECT_EQ(c.command({"EXISTS", "resque:lock:ExportJob:exports:7:m@x.pt"}).integer(), 0);
  EXPECT_TRUE(q.enqueue("exports", "ExportJob", Json::parse(R"([7,"m@x.pt","pdf"])")));
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  EXPECT_EQ(performed, 2);
  EXPECT_TRUE(w.stop());
  EXPECT_TRUE(c.command({"KEYS", "resque:lock:*"}).strings().empty());
}

TEST(QueueLock, ReleasedWhenALaterPluginVetoesTheEnqueue) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("ExportJob", [](const Job&) {},
                  {make<plugins::QueueLock>(), make<plugins::DelayQueueLock>()});
  Queue q(server.options(), reg);
  Connection c(server.options());
  ASSERT_TRUE(q.enqueue_in(60s, "exports", "ExportJob", Json::array({5})));
  EXPECT_FALSE(q.enqueue("exports", "ExportJob", Json::array({5})));
  // Without the abort hook the lock would refuse every enqueue for an hour with no job queued.
  EXPECT_EQ(c.command({"EXISTS", "resque:lock:ExportJob:exports:[5]"}).integer(), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:exports"}).integer(), 0);
}

TEST(QueueLock, BatchEnqueueTakesOneLockPerJob) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("ExportJob", [](const Job&) {}, {make<plugins::QueueLock>()});
  Queue q(server.options(), reg);
  Connection c(server.options());
  std::vector<Job> jobs;
  for (int i = 0; i < 5; ++i)
    jobs.push_back(Job{"ExportJob", "exports", Json::array({i % 2}), Json::object()});
  EXPECT_EQ(q.enqueue_batch(jobs), 2u);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:exports"}).integer(), 2);
  EXPECT_EQ(c.command({"KEYS", "resque:lock:*"}).strings().size(), 2u);
}

// ---- DelayQueueLock ------------------------------------------------------------------------

TEST(DelayQueueLock, RefusesWhileDelayedInEitherEncoding) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("ExportJob", [](const Job&) {}, {make<plugins::DelayQueueLock>()});
  Queue q(server.options(), reg);
  Connection c(server.options());
  const Json args = Json::parse(R"([42,"a@b.pt"])");
  ASSERT_TRUE(q.enqueue_in(60s, "exports", "ExportJob", args));
  EXPECT_FALSE(q.enqueue("exports", "ExportJob", args));
  EXPECT_TRUE(q.enqueue("exports", "ExportJob", Json::array({1})));
  promote_all_delayed(c, q.keys());  // delayed no more
  EXPECT_TRUE(q.enqueue("exports", "ExportJob", args));
  // Delayed by resque-scheduler (Ruby): its timestamps: item is {"class","args","queue"}.
  const std::string ruby_item = R"({"class":"ExportJob","args":[42,"a@b.pt"],"queue":"exports"})";
  c.command({"SADD", "resque:timestamps:" + ruby_item, "delayed:1900000000"});
  EXPECT_FALSE(q.enqueue("exports", "ExportJob", args));
}

// ---- JobLock -------------------------------------------------------------------------------

TEST(JobLock, BusyLockReEnqueuesTheCopyAndNeverRunsTwoAtOnce) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("SlowJob", counted(server.options(), "test:release"), {make<plugins::JobLock>()});
  Queue q(server.options(), reg);
  Connection c(server.options());
  std::mutex mu;
  std::vector<std::string> re_enqueued;
  auto o = wopts({"locks"});
  o.events.on_re_enqueue = [&](const std::string&, const Job&, const std::string& plugin) {
    std::lock_guard<std::mutex> l(mu);
    re_enqueued.push_back(plugin);
  };
  Worker a(server.options(), reg, o);
  Worker b(server.options(), reg, o);
  ASSERT_TRUE(q.enqueue("locks", "SlowJob", Json::array({7})));
  a.start();
  ASSERT_TRUE(eventually([&] { return get_int(c, "test:running") == 1; }));
  const std::string key = "resque:workerslock:SlowJob:locks:[7]";
  const std::string held = c.command({"GET", key}).string();
  EXPECT_GT(c.command({"PTTL", key}).integer(), 0);
  ASSERT_TRUE(q.enqueue("locks", "SlowJob", Json::array({7})));
  b.start();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> l(mu);
    return re_enqueued.size() == 1;
  }));
  EXPECT_EQ(re_enqueued[0], "JobLock");
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 1);
  EXPECT_EQ(c.command({"GET", key}).string(), held);  // the holder's lock is untouched
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 0);  // a re-enqueue counts nothing
  c.command({"SET", "test:release", "1"});
  ASSERT_TRUE(eventually([&] { return c.command({"EXISTS", key}).integer() == 0; }));
  promote_all_delayed(c, q.keys());
  ASSERT_TRUE(eventually([&] { return c.command({"LLEN", "test:performed"}).integer() == 2; }));
  ASSERT_TRUE(eventually([&] { return a.jobs_done() + b.jobs_done() == 3; }));
  EXPECT_EQ(get_int(c, "test:max"), 1);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 2);
  EXPECT_EQ(c.command({"EXISTS", key}).integer(), 0);
  EXPECT_TRUE(a.stop());
  EXPECT_TRUE(b.stop());
}

TEST(JobLock, DropsTheCopyWhenReEnqueueIsOffAndEmitsOnVeto) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  plugins::JobLock::Options jo;
  jo.re_enqueue = false;
  reg->define_raw("SlowJob", counted(server.options(), "test:release"),
                  {make<plugins::JobLock>(jo)});
  Queue q(server.options(), reg);
  Connection c(server.options());
  std::atomic<int> vetoes{0};
  auto o = wopts({"locks"});
  o.events.on_veto = [&](const std::string&, const Job&, const std::string& plugin) {
    if (plugin == "JobLock") ++vetoes;
  };
  Worker a(server.options(), reg, o);
  Worker b(server.options(), reg, o);
  ASSERT_TRUE(q.enqueue("locks", "SlowJob", Json::array({7})));
  a.start();
  ASSERT_TRUE(eventually([&] { return get_int(c, "test:running") == 1; }));
  ASSERT_TRUE(q.enqueue("locks", "SlowJob", Json::array({7})));
  b.start();
  ASSERT_TRUE(eventually([&] { return vetoes == 1; }));
  ASSERT_TRUE(eventually([&] { return b.jobs_done() == 1; }));
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:locks"}).integer(), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
  c.command({"SET", "test:release", "1"});
  ASSERT_TRUE(eventually([&] { return a.jobs_done() == 1; }));
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
  EXPECT_EQ(c.command({"LLEN", "test:performed"}).integer(), 1);
}

TEST(JobLock, ReleasesOnlyALockItStillHolds) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  const std::string key = "resque:workerslock:SlowJob:locks:[1]";
  auto copts = server.options();
  // The lock expires mid-perform and another holder takes it (simulated by overwriting it).
  reg->define_raw("SlowJob",
                  [copts, key](const Job&) {
                    Connection c(copts);
                    c.command({"SET", key, "someone-else", "EX", "60"});
                  },
                  {make<plugins::JobLock>()});
  Queue q(server.options(), reg);
  Connection c(server.options());
  Worker w(server.options(), reg, wopts({"locks"}));
  ASSERT_TRUE(q.enqueue("locks", "SlowJob", Json::array({1})));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  EXPECT_EQ(c.command({"GET", key}).string(), "someone-else");
}

TEST(JobLock, ReleasedWhenALaterPluginVetoesThePerform) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  plugins::ConcurrencyLimit::Options co;
  co.re_enqueue_delay = 0ms;
  reg->define_raw("SlowJob", [](const Job&) {},
                  {make<plugins::JobLock>(), make<plugins::ConcurrencyLimit>(co)});
  Queue q(server.options(), reg);
  Connection c(server.options());
  // Every slot taken by a holder elsewhere.
  c.command({"ZADD", "resque:resque-cpp:concurrency:SlowJob", "99999999999999", "elsewhere"});
  std::atomic<int> re{0};
  auto o = wopts({"locks"});
  o.events.on_re_enqueue = [&](const std::string&, const Job&, const std::string& p) {
    if (p == "ConcurrencyLimit") ++re;
  };
  Worker w(server.options(), reg, o);
  ASSERT_TRUE(q.enqueue("locks", "SlowJob", Json::array({1})));
  w.start();
  ASSERT_TRUE(eventually([&] { return re == 1 && w.jobs_done() == 1; }));
  // node would leak this lock for lockTimeout (an hour); the abort hook releases it.
  EXPECT_EQ(c.command({"EXISTS", "resque:workerslock:SlowJob:locks:[1]"}).integer(), 0);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 1);
}

// ---- ConcurrencyLimit ------------------------------------------------------------------------

namespace {
void run_limited(long long limit) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  plugins::ConcurrencyLimit::Options co;
  co.limit = limit;
  co.key = [](const Job&) { return "same-requester"; };
  co.re_enqueue_delay = 0ms;
  auto copts = server.options();
  reg->define_raw("ExportJob",
                  [copts, limit](const Job& job) {
                    Connection c(copts);
                    enter_running(c, "test:running", "test:max");
                    c.command({"RPUSH", "test:performed", encode_json(job.args)});
                    // Stay until `limit` performs overlapped once (so a limit below `limit` fails
                    // the test instead of passing it), then briefly, so performs keep overlapping.
                    eventually([&] { return get_int(c, "test:max") >= limit; }, 5s);
                    std::this_thread::sleep_for(1ms);
                    c.command({"DECR", "test:running"});
                  },
                  {make<plugins::ConcurrencyLimit>(co)});
  Queue q(server.options(), reg);
  Connection c(server.options());
  std::vector<Job> jobs;
  for (int i = 0; i < 100; ++i)
    jobs.push_back(Job{"ExportJob", "exports", Json::array({i}), Json::object()});
  ASSERT_EQ(q.enqueue_batch(jobs), 100u);
  Promoter promoter(server.options());
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 8; ++i) {
    workers.push_back(std::make_unique<Worker>(server.options(), reg, wopts({"exports"})));
    workers.back()->start();
  }
  ASSERT_TRUE(eventually(
      [&] {
        return c.command({"LLEN", "test:performed"}).integer() == 100;
      },
      60s));
  for (auto& w : workers) EXPECT_TRUE(w->stop());
  EXPECT_EQ(get_int(c, "test:max"), limit);
  std::set<std::string> seen;
  for (auto& s : c.command({"LRANGE", "test:performed", "0", "-1"}).strings()) seen.insert(s);
  EXPECT_EQ(seen.size(), 100u);  // every job once, none lost or merged
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 100);
  EXPECT_EQ(c.command({"EXISTS", "resque:resque-cpp:concurrency:same-requester"}).integer(), 0);
}
}  // namespace

TEST(ConcurrencyLimit, OnePerformAtATimeAcrossEightWorkers) {
  run_limited(1);
}

TEST(ConcurrencyLimit, AtMostThreeAtOnceAndEveryJobDone) {
  run_limited(3);
}

TEST(ConcurrencyLimit, ExpiredSlotOfADeadHolderIsReclaimed) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  std::atomic<int> performed{0};
  reg->define_raw("ExportJob", [&](const Job&) { ++performed; },
                  {make<plugins::ConcurrencyLimit>(1)});
  Queue q(server.options(), reg);
  Connection c(server.options());
  // A holder that died: its slot expired a moment ago (score = expiry, ms).
  const long long now_ms = server_now(c) * 1000;
  c.command({"ZADD", "resque:resque-cpp:concurrency:ExportJob", std::to_string(now_ms - 1),
             "dead-worker"});
  Worker w(server.options(), reg, wopts({"exports"}));
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::array({1})));
  w.start();
  ASSERT_TRUE(eventually([&] { return performed == 1; }));
  EXPECT_TRUE(w.stop());
  EXPECT_EQ(c.command({"EXISTS", "resque:resque-cpp:concurrency:ExportJob"}).integer(), 0);
}

// ---- Retry ---------------------------------------------------------------------------------

TEST(Retry, FirstFailureLooksLikeNodesFixture09ThenTheLastIsANormalFailure) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  plugins::Retry::Options ro;
  ro.retry_limit = 2;
  ro.retry_delay = 1000ms;
  reg->define_raw("ExportJob", [](const Job&) { throw std::runtime_error("boom"); },
                  {make<plugins::Retry>(ro)});
  Queue q(server.options(), reg);
  Connection c(server.options());
  std::mutex mu;
  std::vector<std::string> events;
  auto o = wopts({"exports"});
  o.events.on_re_enqueue = [&](const std::string&, const Job&, const std::string& p) {
    std::lock_guard<std::mutex> l(mu);
    events.push_back("re_enqueue " + p);
  };
  o.events.on_failure = [&](const std::string&, const Job&, const std::string&,
                            const std::string&) {
    std::lock_guard<std::mutex> l(mu);
    events.push_back("failure");
  };
  o.events.on_success = [&](const std::string&, const Job&, std::chrono::microseconds) {
    std::lock_guard<std::mutex> l(mu);
    events.push_back("success");
  };
  Worker w(server.options(), reg, o);
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::parse(R"([42,"a@b.pt"])")));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  const std::string counter = "resque:resque-retry:ExportJob:42-a@b.pt";
  const std::string failure = "resque:failure-resque-retry:ExportJob:42-a@b.pt";
  EXPECT_EQ(c.command({"GET", counter}).string(), "0");
  const long long ttl = c.command({"TTL", counter}).integer();
  EXPECT_GT(ttl, 990);  // node's quirk: the 1000 ms delay used as seconds
  EXPECT_LE(ttl, 1000);
  const Json err = decode_json(c.command({"GET", failure}).string());
  EXPECT_EQ(err["payload"], Json::parse(R"([42,"a@b.pt"])"));
  EXPECT_EQ(err["worker"], "ExportJob");
  EXPECT_EQ(err["queue"], "exports");
  EXPECT_EQ(err["exception"], "std::runtime_error: boom");
  EXPECT_EQ(err["failed_at"].get<std::string>().size(), 19u);  // "YYYY/MM/DD HH:MM:SS"
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 1);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 0);
  EXPECT_EQ(get_int(c, "resque:stat:failed"), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
  {
    std::lock_guard<std::mutex> l(mu);
    EXPECT_EQ(events, std::vector<std::string>{"re_enqueue Retry"});
  }
  promote_all_delayed(c, q.keys());
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 1);
  EXPECT_EQ(c.command({"EXISTS", counter, failure}).integer(), 0);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
  EXPECT_EQ(get_int(c, "resque:stat:failed"), 2);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
  const Json entry = decode_json(c.command({"LINDEX", "resque:failed", "0"}).string());
  EXPECT_EQ(entry["error"], "boom");
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(events, (std::vector<std::string>{"re_enqueue Retry", "failure"}));
}

// The Redis state after a first failed attempt, compared with node-resque's own (fixture 09,
// made by node-resque 9.7.1 with retryLimit 2, retryDelay 1000).
TEST(Retry, FirstFailureStateMatchesNodeFixture09) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  plugins::Retry::Options ro;
  ro.retry_limit = 2;
  ro.retry_delay = 1000ms;
  reg->define_raw("ExportJob", [](const Job&) { throw std::runtime_error("boom"); },
                  {make<plugins::Retry>(ro)});
  // Compared with node's dump: node's dialect.
  ConnectionOptions node_options = server.options();
  node_options.dialect = Dialect::node;
  Queue q(node_options, reg);
  Connection c(server.options());
  {
    Worker w(node_options, reg, wopts({"exports"}));
    ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::parse(R"([42,"a@b.pt"])")));
    w.start();
    ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
    EXPECT_TRUE(w.stop());  // a stopped worker leaves none of its own keys, as node's end()
  }
  std::ifstream in(std::string(RESQUE_TEST_FIXTURES) + "/node/09_retry_first_failure.json");
  ASSERT_TRUE(in) << "fixture missing";
  const Json fixture = Json::parse(in);
  // Delayed keys carry the second of the retry; map both sides to a placeholder.
  auto normalize = [](std::string k) {
    const std::string d = "resque:delayed:";
    if (k.rfind(d, 0) == 0) return d + "<S>";
    return k;
  };
  std::set<std::string> expected, actual;
  for (auto it = fixture.begin(); it != fixture.end(); ++it) {
    // node writes connection_test_key on connect; its Retry DECR/INCR leaves processed "0"
    // where we never touch it (both read as 0).
    if (it.key() == "resque:connection_test_key" || it.key() == "resque:stat:processed") continue;
    expected.insert(normalize(it.key()));
  }
  for (auto& k : c.command({"KEYS", "*"}).strings())
    if (k != "resque:stat:processed") actual.insert(normalize(k));
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 0);
  for (const char* k : {"resque:resque-retry:ExportJob:42-a@b.pt",
                        "resque:failure-resque-retry:ExportJob:42-a@b.pt"}) {
    const long long ttl = c.command({"TTL", k}).integer();
    EXPECT_GT(ttl, 990) << k;
    EXPECT_LE(ttl, fixture[k]["ttl"].get<long long>()) << k;
  }
  EXPECT_EQ(c.command({"GET", "resque:resque-retry:ExportJob:42-a@b.pt"}).string(),
            fixture["resque:resque-retry:ExportJob:42-a@b.pt"]["value"].get<std::string>());
  EXPECT_EQ(c.command({"GET", "resque:stat:failed"}).string(), "1");
  // The saved error: node's fields in node's order.
  const Json ours =
      decode_json(c.command({"GET", "resque:failure-resque-retry:ExportJob:42-a@b.pt"}).string());
  const Json theirs = decode_json(
      fixture["resque:failure-resque-retry:ExportJob:42-a@b.pt"]["value"].get<std::string>());
  std::vector<std::string> our_fields, their_fields;
  for (auto it = ours.begin(); it != ours.end(); ++it) our_fields.push_back(it.key());
  for (auto it = theirs.begin(); it != theirs.end(); ++it) their_fields.push_back(it.key());
  EXPECT_EQ(our_fields, their_fields);
  EXPECT_EQ(ours["payload"], theirs["payload"]);
  EXPECT_EQ(ours["worker"], theirs["worker"]);
  EXPECT_EQ(ours["queue"], theirs["queue"]);
  // The re-delayed payload is byte-identical to node's.
  const std::string delayed_key = c.command({"KEYS", "resque:delayed:*"}).strings().at(0);
  for (auto it = fixture.begin(); it != fixture.end(); ++it) {
    if (normalize(it.key()) != "resque:delayed:<S>") continue;
    EXPECT_EQ(c.command({"LRANGE", delayed_key, "0", "-1"}).strings(),
              it.value()["value"].get<std::vector<std::string>>());
  }
}

TEST(Retry, SuccessOnALaterAttemptDeletesTheKeys) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  plugins::Retry::Options ro;
  ro.retry_limit = 5;
  ro.backoff = {10ms, 20ms};
  std::atomic<int> attempts{0};
  reg->define_raw("ExportJob",
                  [&](const Job&) {
                    if (++attempts < 3) throw std::runtime_error("transient");
                  },
                  {make<plugins::Retry>(ro)});
  Queue q(server.options(), reg);
  Connection c(server.options());
  Promoter promoter(server.options());
  Worker w(server.options(), reg, wopts({"exports"}));
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::array({"x y"})));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 3; }));
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(c.command({"EXISTS", "resque:resque-retry:ExportJob:xy",
                       "resque:failure-resque-retry:ExportJob:xy"})
                .integer(),
            0);
  EXPECT_EQ(get_int(c, "resque:stat:failed"), 2);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
}

TEST(Retry, FailuresRejectedByRetryIfFailAtOnce) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  plugins::Retry::Options ro;
  ro.retry_limit = 5;
  ro.retry_if = [](const std::exception_ptr& e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::invalid_argument&) {
      return false;
    } catch (...) {
      return true;
    }
  };
  reg->define_raw("ExportJob", [](const Job&) { throw std::invalid_argument("bad input"); },
                  {make<plugins::Retry>(ro)});
  Queue q(server.options(), reg);
  Connection c(server.options());
  Worker w(server.options(), reg, wopts({"exports"}));
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::array({1})));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 1);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
  EXPECT_EQ(c.command({"EXISTS", "resque:resque-retry:ExportJob:1"}).integer(), 0);
}

// ---- Noop ----------------------------------------------------------------------------------

TEST(Noop, AFailureCountsAsASuccessWithALogLine) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  std::mutex mu;
  std::vector<std::string> lines;
  plugins::Noop::Options no;
  no.log = [&](LogLevel, std::string_view s) {
    std::lock_guard<std::mutex> l(mu);
    lines.emplace_back(s);
  };
  reg->define_raw("ExportJob", [](const Job&) { throw std::runtime_error("ignored"); },
                  {make<plugins::Noop>(no)});
  Queue q(server.options(), reg);
  Connection c(server.options());
  Worker w(server.options(), reg, wopts({"exports"}));
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::array({1})));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
  EXPECT_EQ(get_int(c, "resque:stat:failed"), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("ignored"), std::string::npos);
}

// ---- many clients ----------------------------------------------------------------------------

TEST(QueueLock, EightThreadsInTwoProcessesEnqueueTheSameExportOnce) {
  RedisServer server;
  Connection c(server.options());
  const std::string bin = std::string(RESQUE_TEST_BIN_DIR) + "/plugin_enqueue_child";
  const std::string port = std::to_string(server.port());
  // Both children wait for the go key, so their enqueues really overlap.
  resque::test::Process p1({bin, port, "8", "1000", "test:go"});
  resque::test::Process p2({bin, port, "8", "1000", "test:go"});
  ASSERT_TRUE(p1.wait_for_output("ready"));
  ASSERT_TRUE(p2.wait_for_output("ready"));
  c.command({"SET", "test:go", "1"});
  ASSERT_EQ(p1.wait(), 0) << p1.output();
  ASSERT_EQ(p2.wait(), 0) << p2.output();
  auto accepted = [](const std::string& out) {
    const auto at = out.find("accepted ");
    return at == std::string::npos ? -1 : std::stoi(out.substr(at + 9));
  };
  EXPECT_EQ(accepted(p1.output()) + accepted(p2.output()), 1) << p1.output() << "\n" << p2.output();
  EXPECT_EQ(c.command({"LLEN", "resque:queue:exports"}).integer(), 1);
}

// ---- the seed scenario -------------------------------------------------------------------------

// Managers request exports of catalogs; a request is [catalog id, manager email, format].
// - a repeated request (same catalog and manager, any format) is refused while one is queued
//   or waiting to be retried (QueueLock keyed on args 0 and 1, DelayQueueLock);
// - at most one export runs per manager (ConcurrencyLimit keyed on the email);
// - at most N exports run at once overall (ConcurrencyLimit on the class).
TEST(SeedScenario, ExportRequestsKeyedOnCatalogAndManager) {
  RedisServer server;
  constexpr long long kMaxExports = 2;
  auto reg = std::make_shared<JobRegistry>();
  plugins::QueueLock::Options ql;
  ql.key = [](const Job& j) { return encode_json(j.args[0]) + ":" + j.args[1].get<std::string>(); };
  plugins::ConcurrencyLimit::Options per_manager;
  per_manager.name = "OneExportPerManager";
  per_manager.key = [](const Job& j) { return "manager:" + j.args[1].get<std::string>(); };
  per_manager.re_enqueue_delay = 0ms;
  plugins::ConcurrencyLimit::Options overall;
  overall.name = "ExportCapacity";
  overall.limit = kMaxExports;
  overall.re_enqueue_delay = 0ms;
  auto copts = server.options();
  reg->define_raw(
      "ExportJob",
      [copts](const Job& job) {
        Connection c(copts);
        const std::string manager = job.args[1].get<std::string>();
        enter_running(c, "test:running", "test:max");
        enter_running(c, "test:running:" + manager, "test:max:" + manager);
        c.command({"RPUSH", "test:performed", encode_json(job.args)});
        std::this_thread::sleep_for(3ms);  // the export's work
        c.command({"DECR", "test:running:" + manager});
        c.command({"DECR", "test:running"});
      },
      {make<plugins::QueueLock>(ql), make<plugins::DelayQueueLock>(),
       make<plugins::ConcurrencyLimit>(per_manager), make<plugins::ConcurrencyLimit>(overall)});
  Queue q(server.options(), reg);
  Connection c(server.options());

  const std::vector<std::string> managers = {"ana@shop.pt", "rui@shop.pt", "eva@shop.pt"};
  int accepted = 0;
  for (int catalog = 1; catalog <= 6; ++catalog)
    for (const auto& m : managers) {
      ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::array({catalog, m, "csv"})));
      ++accepted;
      // The same request again, in another format: refused while the first is queued.
      EXPECT_FALSE(q.enqueue("exports", "ExportJob", Json::array({catalog, m, "pdf"})));
    }
  EXPECT_EQ(c.command({"LLEN", "resque:queue:exports"}).integer(), accepted);

  Promoter promoter(server.options());
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 6; ++i) {
    workers.push_back(std::make_unique<Worker>(server.options(), reg, wopts({"exports"})));
    workers.back()->start();
  }
  ASSERT_TRUE(eventually(
      [&] {
        return c.command({"LLEN", "test:performed"}).integer() == accepted;
      },
      60s));
  for (auto& w : workers) EXPECT_TRUE(w->stop());
  EXPECT_LE(get_int(c, "test:max"), kMaxExports);
  for (const auto& m : managers) EXPECT_EQ(get_int(c, "test:max:" + m), 1) << m;
  std::set<std::string> done;
  for (auto& s : c.command({"LRANGE", "test:performed", "0", "-1"}).strings()) done.insert(s);
  EXPECT_EQ(done.size(), static_cast<std::size_t>(accepted));
  // Nothing outlives the work: no queue locks, no slots, nothing delayed.
  EXPECT_TRUE(c.command({"KEYS", "resque:lock:*"}).strings().empty());
  EXPECT_TRUE(c.command({"KEYS", "resque:resque-cpp:concurrency:*"}).strings().empty());
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
  // With nothing queued, a manager may ask again.
  EXPECT_TRUE(q.enqueue("exports", "ExportJob", Json::array({1, managers[0], "pdf"})));
}
