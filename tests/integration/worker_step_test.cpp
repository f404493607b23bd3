// The worker step script on its own: a step whose reply was lost is sent again, and nothing is
// finished twice or lost, even when the next job has the same bytes as the finished one.
#include <gtest/gtest.h>

#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/json.hpp"
#include "scripts.hpp"

using namespace resque;
using resque::test::RedisServer;

namespace {
Reply step(Connection& c, const std::string& mode, const std::string& finish_token,
           const std::string& new_token, const std::string& finished_payload = "") {
  return c.eval(scripts::worker_step(), {},
                {"resque:", "h:1:q", "h:1", mode, finish_token, finished_payload,
                 R"({"failed_at":"x"})", "1", "2026-01-01T00:00:00Z", new_token, "q"});
}
}  // namespace

TEST(WorkerStep, ResentStepAfterLostReplyNeitherLosesNorRepeats) {
  RedisServer server;
  Connection c(server.options());
  const std::string job = R"({"class":"Same","queue":"q","args":[]})";
  c.command({"RPUSH", "resque:queue:q", job, job});

  auto r1 = step(c, "", "", "t1");
  ASSERT_EQ(r1.size(), 3u);
  EXPECT_EQ(r1.element(1).string(), job);
  EXPECT_EQ(r1.element(2).string(), "t1");

  // Finishes job 1 and takes job 2 (same bytes) under t2; suppose this reply is lost...
  auto r2 = step(c, "ok", "t1", "t2");
  ASSERT_EQ(r2.size(), 3u);
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);

  // ...so the client sends the same step again: job 2 must not be finished by it.
  auto r3 = step(c, "ok", "t1", "t3");
  ASSERT_EQ(r3.size(), 3u);
  EXPECT_EQ(r3.element(1).string(), job);
  EXPECT_EQ(r3.element(2).string(), "t2");  // the held job, with the token it was taken under
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:h:1:q"}).integer(), 1);

  auto r4 = step(c, "ok", "t2", "t4");
  EXPECT_TRUE(r4.is_nil());
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 2);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:h:1:q"}).integer(), 0);
  EXPECT_TRUE(c.command({"GET", "resque:worker:h:1:q"}).is_nil());
}

TEST(WorkerStep, HeldJobWithoutTokenGetsOne) {
  // An in-flight job left by a process that wrote no token (or whose status is gone) is handed
  // back with a fresh token, and can then be finished.
  RedisServer server;
  Connection c(server.options());
  const std::string job = R"({"class":"Old","args":[1]})";
  c.command({"RPUSH", "resque:inflight:h:1:q", job});
  c.command({"SET", "resque:worker:h:1:q", R"({"queue":"q","run_at":"x","payload":{}})"});
  auto r = step(c, "", "", "fresh");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.element(0).string(), "q");
  EXPECT_EQ(r.element(2).string(), "fresh");
  EXPECT_TRUE(step(c, "fail", "fresh", "next").is_nil());
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:h:1:q"}).integer(), 0);
}

TEST(WorkerStep, StatusRemovedByAnotherLibraryStillFinishesTheJob) {
  // Ruby's pruner deletes worker:<id> of workers it believes dead; the finish then matches the
  // in-flight payload, so the job is not handed back and run a second time.
  RedisServer server;
  Connection c(server.options());
  const std::string job = R"({"class":"J","queue":"q","args":[1]})";
  c.command({"RPUSH", "resque:queue:q", job});
  c.command({"SET", "resque:resque-cpp:recovered:" + job, "2"});
  auto r = step(c, "", "", "t1");
  ASSERT_EQ(r.size(), 3u);
  c.command({"DEL", "resque:worker:h:1:q"});
  EXPECT_TRUE(step(c, "ok", "t1", "t2", job).is_nil());
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:h:1:q"}).integer(), 0);
  // Its recovery counter went with it.
  EXPECT_EQ(c.command({"EXISTS", "resque:resque-cpp:recovered:" + job}).integer(), 0);
}

TEST(WorkerStep, StatusOfAPayloadThatIsNotAnObjectIsStillJson) {
  RedisServer server;
  Connection c(server.options());
  c.command({"RPUSH", "resque:queue:q", "not json{"});
  auto r = step(c, "", "", "t1");
  ASSERT_EQ(r.size(), 3u);
  const auto status = c.command({"GET", "resque:worker:h:1:q"}).string();
  EXPECT_TRUE(nlohmann::json::accept(status)) << status;
  EXPECT_EQ(nlohmann::json::parse(status)["payload"], "not json{");
}
