#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"

using namespace resque;
using resque::test::eventually;
using resque::test::RedisServer;

namespace {
WorkerOptions opts(std::vector<std::string> queues) {
  WorkerOptions o;
  o.queues = std::move(queues);
  o.poll_interval = std::chrono::milliseconds(50);
  return o;
}
}  // namespace

TEST(Worker, PerformsTypedJobAndCountsStats) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  std::mutex mu;
  std::vector<std::pair<std::int64_t, std::string>> seen;
  reg->define("ExportJob", [&](std::int64_t catalog, std::string email) {
    std::lock_guard<std::mutex> l(mu);
    seen.emplace_back(catalog, email);
  });
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::array({42, "a@b.pt"})));
  Worker w(server.options(), reg, opts({"exports"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  {
    std::lock_guard<std::mutex> l(mu);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].first, 42);
    EXPECT_EQ(seen[0].second, "a@b.pt");
  }
  Connection c(server.options());
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
  EXPECT_EQ(c.command({"GET", "resque:stat:processed:" + w.id()}).integer(), 1);
  EXPECT_TRUE(c.command({"GET", "resque:worker:" + w.id()}).is_nil());
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w.id()}).integer(), 0);
  EXPECT_EQ(c.command({"SISMEMBER", "resque:workers", w.id()}).integer(), 1);
  EXPECT_FALSE(c.command({"HGET", "resque:workers:heartbeat", w.id()}).is_nil());
  EXPECT_FALSE(c.command({"GET", "resque:worker:ping:" + w.name()}).is_nil());
  EXPECT_TRUE(w.stop());
  // A clean stop removes every key of the worker.
  EXPECT_EQ(c.command({"SISMEMBER", "resque:workers", w.id()}).integer(), 0);
  EXPECT_TRUE(c.command({"HGET", "resque:workers:heartbeat", w.id()}).is_nil());
  EXPECT_TRUE(c.command({"GET", "resque:worker:ping:" + w.name()}).is_nil());
  EXPECT_TRUE(c.command({"GET", "resque:worker:" + w.id() + ":started"}).is_nil());
  EXPECT_TRUE(c.command({"GET", "resque:stat:processed:" + w.id()}).is_nil());
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
}
