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
