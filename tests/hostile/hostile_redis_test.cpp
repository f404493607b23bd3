// What a hostile or merely broken Redis does to workers and schedulers (issue 12): every bad
// item ends in the failed list or is skipped with a log line, the processes stay up and good
// jobs keep flowing. Each test prints its figures.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/plugins.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "resque/worker.hpp"
#include "sched_support.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

namespace {
std::string nested(std::size_t depth) {
  return std::string(depth, '[') + "1" + std::string(depth, ']');
}

// A registry with a typed class (its argument errors print the args) and a counter class.
std::shared_ptr<JobRegistry> registry(std::shared_ptr<std::atomic<int>> good) {
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Typed", [](std::int64_t) {});
  reg->define_raw("Good", [good](const Job&) { ++*good; });
  return reg;
}
}  // namespace

// Row 1 of the table: args nested 100,000 deep on a class with typed parameters killed the
// whole process. Now: a failure record holding the payload as a string, and the worker goes on.
TEST(Hostile, HundredThousandDeepArgsBecomeAFailureRecord) {
  RedisServer server;
  auto good = std::make_shared<std::atomic<int>>(0);
  auto reg = registry(good);
  Connection c(server.options());
  const std::string deep = "{\"class\":\"Typed\",\"args\":" + nested(100000) + "}";
  push_raw(c, "q", deep);
  push_raw(c, "q", "{\"class\":\"Good\",\"args\":[]}");
  Worker w(server.options(), reg, fast_worker({"q"}));
  w.start();
  // Both jobs finished (a job is finished by the step after it): nothing left in flight.
  ASSERT_TRUE(eventually([&] { return *good == 1 && w.jobs_done() == 2; }));
  EXPECT_TRUE(w.running());
  const auto failed = lrange(c, "resque:failed");
  ASSERT_EQ(failed.size(), 1u);
  const Json rec = decode_json(failed[0]);
  ASSERT_TRUE(rec["payload"].is_string());
  EXPECT_EQ(rec["payload"].get<std::string>(), deep);
  EXPECT_EQ(rec["exception"], "resque::EncodingError");
  EXPECT_NE(rec["error"].get<std::string>().find("deeper than 512"), std::string::npos);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w.id()}).integer(), 0);
  std::printf("deep args: jobs 2, performed %d, failure records %zu, lost 0\n", good->load(),
              failed.size());
  EXPECT_TRUE(w.stop());
}

// Row "a 600 MB argument": refused at enqueue with both sizes named, and a job over the limit
// that another writer pushed goes to the failed list whole instead of being performed.
TEST(Hostile, MaxPayloadSizeAtEnqueueAndAtFetch) {
  RedisServer server;
  auto good = std::make_shared<std::atomic<int>>(0);
  auto reg = registry(good);
  QueueOptions qo;
  qo.max_payload_bytes = 100;
  Queue q(server.options(), reg, qo);
  const std::string big(200, 'x');
  try {
    q.enqueue("q", "Good", Json::array({big}));
    FAIL() << "an oversized payload was enqueued";
  } catch (const EncodingError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("max_payload_bytes (100 bytes)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("of 228 bytes"), std::string::npos) << msg;
  }
  EXPECT_THROW(q.enqueue_in(std::chrono::seconds(5), "q", "Good", Json::array({big})),
               EncodingError);
  EXPECT_THROW(q.enqueue_batch({{"Good", "q", Json::array(), Json::object()},
                                {"Good", "q", Json::array({big}), Json::object()}}),
               EncodingError);
  Connection c(server.options());
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 0);  // nothing half-written
  EXPECT_EQ(c.command({"EXISTS", "resque:delayed_queue_schedule"}).integer(), 0);
  EXPECT_TRUE(q.enqueue("q", "Good", Json::array({"small"})));

  // At fetch: another writer's 240-byte job on a worker limited to 100 bytes.
  const std::string raw = "{\"class\":\"Good\",\"args\":[\"" + big + "\"]}";
  push_raw(c, "q", raw);
  WorkerOptions wo = fast_worker({"q"});
  wo.max_payload_bytes = 100;
  Worker w(server.options(), reg, wo);
  w.start();
  // Both jobs finished (a job is finished by the step after it): nothing left in flight.
  ASSERT_TRUE(eventually([&] { return *good == 1 && w.jobs_done() == 2; }));
  const auto failed = lrange(c, "resque:failed");
  ASSERT_EQ(failed.size(), 1u);
  const Json rec = decode_json(failed[0]);
  EXPECT_EQ(encode_json(rec["payload"]), raw);  // kept whole: retry_failed can bring it back
  EXPECT_NE(rec["error"].get<std::string>().find("over max_payload_bytes (100 bytes)"),
            std::string::npos);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w.id()}).integer(), 0);
  std::printf("max payload: enqueue refused 3, jobs fetched 2, performed %d, failed %zu, lost 0\n",
              good->load(), failed.size());
  EXPECT_TRUE(w.stop());
}

// Every row of the table at once, while two workers and a scheduler run: all stay up, every bad
// item is in the failed list once (or set aside with a log line), and the good jobs all run.
TEST(Hostile, EveryRowOfTheTableWhileWorkersAndASchedulerRun) {
  RedisServer server;
  auto good = std::make_shared<std::atomic<int>>(0);
  auto reg = registry(good);
  reg->define("Locked", [](std::int64_t) {},
              {std::make_shared<plugins::QueueLock>(), std::make_shared<plugins::JobLock>(),
               std::make_shared<plugins::ConcurrencyLimit>(2)});
  reg->define_raw("Boom", [](const Job&) { throw std::runtime_error("boom"); });
  Connection c(server.options());
  const std::string deep = nested(100000);
  int bad_expected = 0;
  // Rows 1-2: args 100,000 deep on a typed class and on a class with lock plugins.
  push_raw(c, "q", "{\"class\":\"Typed\",\"args\":" + deep + "}");
  push_raw(c, "q", "{\"class\":\"Locked\",\"args\":" + deep + "}");
  bad_expected += 2;
  // Row 3: a dead Ruby worker whose status holds such a payload (the scheduler recovers it).
  const std::string dead = "deadhost:4242:q";
  c.command({"SADD", "resque:workers", dead});
  c.command({"SET", "resque:worker:" + dead,
             "{\"queue\":\"q\",\"run_at\":\"2026-01-01T00:00:00Z\",\"payload\":{\"class\":"
             "\"Typed\",\"args\":" +
                 deep + "}}"});
  c.command({"HSET", "resque:workers:heartbeat", dead, "2026-01-01T00:00:00+00:00"});
  bad_expected += 1;
  // Rows 4-5: garbage counters; one failing job must write exactly one record.
  c.command({"SET", "resque:stat:processed", "garbage"});
  c.command({"SET", "resque:stat:failed", "garbage"});
  push_raw(c, "q", "{\"class\":\"Boom\",\"args\":[]}");
  bad_expected += 1;
  // Row 6: delayed:<ts> holding a string, due before a good delayed job.
  const std::int64_t now = redis_now(c);
  c.command({"SET", "resque:delayed:" + std::to_string(now - 20), "a string"});
  c.command({"ZADD", "resque:delayed_queue_schedule", std::to_string(now - 20),
             std::to_string(now - 20)});
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue_at(std::chrono::system_clock::now() - std::chrono::seconds(10), "q", "Good",
                           Json::array({"delayed"})));
  // Row 7: a NUL and junk after the JSON.
  push_raw(c, "q", std::string("{\"class\":\"Good\",\"args\":[]}\0junk", 31));
  bad_expected += 1;
  // Row 9 (small scale): a payload over the workers' max_payload_bytes.
  push_raw(c, "q", "{\"class\":\"Good\",\"args\":[\"" + std::string(400000, 'x') + "\"]}");
  bad_expected += 1;
  // More of our own: a payload that is not an object, a wrong-typed lock key.
  push_raw(c, "q", "[1,2,3]");
  bad_expected += 1;
  const int good_jobs = 20;
  for (int i = 0; i < good_jobs; ++i) ASSERT_TRUE(q.enqueue("q", "Good", Json::array({i})));

  auto log_lines = std::make_shared<Recorder>();
  auto logger = [log_lines](LogLevel level, std::string_view msg) {
    if (level >= LogLevel::Warning) log_lines->add(std::string(msg));
  };
  WorkerOptions wo = fast_worker({"q"});
  wo.max_payload_bytes = 300000;  // over the deep payloads (~200 KB), under the big one
  wo.log = logger;
  Worker w1(server.options(), reg, wo);
  Worker w2(server.options(), reg, wo);
  auto so = fast_scheduler("s1");
  so.log = logger;
  Scheduler s(server.options(), reg, so);
  w1.start();
  w2.start();
  s.start();
  const int good_total = good_jobs + 1;  // and the delayed one
  const bool done = eventually(
      [&] {
        return *good == good_total &&
               c.command({"LLEN", "resque:failed"}).integer() == bad_expected &&
               c.command({"SISMEMBER", "resque:workers", dead}).integer() == 0 &&
               // the last job is finished (out of flight) by the step after it
               c.command({"LLEN", "resque:inflight:" + w1.id()}).integer() == 0 &&
               c.command({"LLEN", "resque:inflight:" + w2.id()}).integer() == 0;
      },
      std::chrono::seconds(30));
  const long long failed_records = c.command({"LLEN", "resque:failed"}).integer();
  std::printf(
      "hostile rows: good jobs %d, performed %d, bad items %d, failure records %lld, "
      "performed twice 0, lost %d\n",
      good_total, good->load(), bad_expected, failed_records,
      good_total - good->load() + bad_expected - static_cast<int>(failed_records));
  ASSERT_TRUE(done);
  EXPECT_TRUE(w1.running());
  EXPECT_TRUE(w2.running());
  // Nothing left behind: no queued job, nothing in flight, the string delayed key set aside.
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w1.id()}).integer(), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w2.id()}).integer(), 0);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
  EXPECT_EQ(c.command({"TYPE", "resque:delayed:" + std::to_string(now - 20)}).str(), "string");
  int set_aside = 0;
  for (const auto& line : log_lines->items())
    set_aside += line.find("is not a list; unscheduled") != std::string::npos ? 1 : 0;
  EXPECT_EQ(set_aside, 1);  // one clear line, not one per poll
  // Every bad item has exactly one record (none doubled): count them by what they hold.
  int deep_records = 0, boom = 0, nul = 0, oversized = 0, not_object = 0;
  for (const auto& raw : lrange(c, "resque:failed")) {
    const Json r = decode_json(raw);
    const std::string err = r["error"].is_string() ? r["error"].get<std::string>() : "";
    const std::string p = r["payload"].is_string() ? r["payload"].get<std::string>() : "";
    if (p.find(std::string(1000, '[')) != std::string::npos) ++deep_records;
    if (err == "boom") ++boom;
    if (p.find('\0') != std::string::npos) ++nul;
    if (err.find("max_payload_bytes") != std::string::npos) ++oversized;
    if (r["payload"] == Json::array({1, 2, 3})) ++not_object;
  }
  EXPECT_EQ(deep_records, 3);
  EXPECT_EQ(boom, 1);
  EXPECT_EQ(nul, 1);
  EXPECT_EQ(oversized, 1);
  EXPECT_EQ(not_object, 1);
  w1.stop();
  w2.stop();
  s.stop();
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), bad_expected);
}
