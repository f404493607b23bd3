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
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"
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
  ASSERT_TRUE(eventually([&] { return *good == 1 && get_int(c, "resque:stat:failed") == 1; }));
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
    EXPECT_NE(msg.find("of 240 bytes"), std::string::npos) << msg;
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
  ASSERT_TRUE(eventually([&] { return *good == 1 && get_int(c, "resque:stat:failed") == 1; }));
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
