// examples/embedded_service.cpp runs a bounded batch against a real Redis and exits 0, printing
// its health line and (with resque::prometheus) a scrape whose values match Redis.
#include <gtest/gtest.h>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

TEST(ExampleService, RunsABoundedBatchAndExitsZero) {
  RedisServer server;
  auto [status, out] = run({RESQUE_EMBEDDED_SERVICE_PATH, "25"}, {{"REDIS_URL", server.url()}},
                           std::chrono::seconds(60));
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("performed 25 of 25 jobs; stopped cleanly"), std::string::npos) << out;
  EXPECT_NE(out.find("health: running=1 connected=1"), std::string::npos) << out;
  Connection c(server.options());
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 25);
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 0);
#ifdef RESQUE_TEST_PROMETHEUS
  EXPECT_NE(out.find("resque_jobs_processed_total{class=\"Square\",queue=\"service\"} 25"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("resque_queue_length{queue=\"service\"} 0"), std::string::npos) << out;
  EXPECT_NE(out.find("resque_failed_jobs 0"), std::string::npos) << out;
  EXPECT_NE(out.find("resque_redis_up 1"), std::string::npos) << out;
  // Every job carried enqueued_at: 25 queue-latency samples.
  EXPECT_NE(out.find("resque_job_queue_latency_seconds_count{class=\"Square\"} 25"),
            std::string::npos)
      << out;
#endif
}
