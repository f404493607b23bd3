// The worker step script on its own: a step whose reply was lost is sent again, and nothing is
// finished twice or lost, even when the next job has the same bytes as the finished one.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "protocol/worker_scripts.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/json.hpp"

using namespace resque;
using resque::test::RedisServer;

namespace {
using protocol::Finish;
using Kind = protocol::StepResult::Kind;

// Through the script's typed wrapper, as the worker calls it.
protocol::StepResult step(Connection& c, Finish mode, const std::string& finish_token,
                          const std::string& new_token, const std::string& finished_payload = "") {
  static const Keys keys("resque");
  static const protocol::WorkerKeys wk(keys, "h:1:q", "h:1");
  protocol::StepArgs a;
  a.finish = mode;
  a.finished_token = finish_token;
  a.finished_payload = finished_payload;
  a.failure = R"({"failed_at":"x"})";
  a.run_at = "2026-01-01T00:00:00Z";
  a.token = new_token;
  protocol::WorkerStep stepper(keys, wk);
  return stepper.run(c, a, {"q"});
}
}  // namespace

TEST(WorkerStep, ResentStepAfterLostReplyNeitherLosesNorRepeats) {
  RedisServer server;
  Connection c(server.options());
  const std::string job = R"({"class":"Same","queue":"q","args":[]})";
  c.command({"RPUSH", "resque:queue:q", job, job});

  auto r1 = step(c, Finish::None, "", "t1");
  ASSERT_EQ(r1.kind, Kind::Job);
  EXPECT_EQ(r1.payload, job);
  EXPECT_EQ(r1.token, "t1");

  // Finishes job 1 and takes job 2 (same bytes) under t2; suppose this reply is lost...
  auto r2 = step(c, Finish::Ok, "t1", "t2");
  ASSERT_EQ(r2.kind, Kind::Job);
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);

  // ...so the client sends the same step again: job 2 must not be finished by it.
  auto r3 = step(c, Finish::Ok, "t1", "t3");
  ASSERT_EQ(r3.kind, Kind::Job);
  EXPECT_EQ(r3.payload, job);
  EXPECT_EQ(r3.token, "t2");  // the held job, with the token it was taken under
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:h:1:q"}).integer(), 1);

  auto r4 = step(c, Finish::Ok, "t2", "t4");
  EXPECT_EQ(r4.kind, Kind::Idle);
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
  auto r = step(c, Finish::None, "", "fresh");
  ASSERT_EQ(r.kind, Kind::Job);
  EXPECT_EQ(r.queue, "q");
  EXPECT_EQ(r.token, "fresh");
  EXPECT_TRUE(step(c, Finish::Fail, "fresh", "next").kind == Kind::Idle);
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
  c.command({"SET", Keys("resque").recovered(job), "2"});
  auto r = step(c, Finish::None, "", "t1");
  ASSERT_EQ(r.kind, Kind::Job);
  c.command({"DEL", "resque:worker:h:1:q"});
  EXPECT_EQ(step(c, Finish::Ok, "t1", "t2", job).kind, Kind::Idle);
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:h:1:q"}).integer(), 0);
  // Its recovery counter went with it.
  EXPECT_EQ(c.command({"EXISTS", Keys("resque").recovered(job)}).integer(), 0);
}

TEST(WorkerStep, StatusOfAPayloadThatIsNotAnObjectIsStillJson) {
  RedisServer server;
  Connection c(server.options());
  c.command({"RPUSH", "resque:queue:q", "not json{"});
  auto r = step(c, Finish::None, "", "t1");
  ASSERT_EQ(r.kind, Kind::Job);
  const auto status = c.command({"GET", "resque:worker:h:1:q"}).string();
  EXPECT_TRUE(nlohmann::json::accept(status)) << status;
  EXPECT_EQ(nlohmann::json::parse(status)["payload"], "not json{");
}

TEST(WorkerStep, GarbageStatCountersAreSkippedNotFatal) {
  // Anyone can SET a counter to garbage; the step must keep running jobs (INCR under pcall).
  RedisServer server;
  Connection c(server.options());
  c.command({"SET", "resque:stat:processed", "garbage"});
  c.command({"SET", "resque:stat:failed", "garbage"});
  c.command(
      {"RPUSH", "resque:queue:q", R"({"class":"J","args":[]})", R"({"class":"K","args":[]})"});
  ASSERT_EQ(step(c, Finish::None, "", "t1").kind, Kind::Job);
  ASSERT_EQ(step(c, Finish::Ok, "t1", "t2").kind, Kind::Job);
  EXPECT_EQ(step(c, Finish::Fail, "t2", "t3").kind, Kind::Idle);
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).string(), "garbage");
  EXPECT_EQ(c.command({"GET", "resque:stat:processed:h:1:q"}).integer(), 2);
  EXPECT_EQ(c.command({"GET", "resque:stat:failed:h:1:q"}).integer(), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 1);  // one record, not one per retry
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:h:1:q"}).integer(), 0);
}

TEST(WorkerStep, WrongTypedFailedListFailsBeforeAnyWrite) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SET", "resque:failed", "not a list"});
  c.command({"RPUSH", "resque:queue:q", R"({"class":"J","args":[]})"});
  ASSERT_EQ(step(c, Finish::None, "", "t1").kind, Kind::Job);
  // Re-sent as the worker would after an error: the same partial effect must not pile up.
  for (int i = 0; i < 3; ++i) EXPECT_THROW(step(c, Finish::Fail, "t1", "t2"), ReplyError);
  EXPECT_TRUE(c.command({"GET", "resque:stat:processed"}).is_nil());
  EXPECT_TRUE(c.command({"GET", "resque:stat:failed"}).is_nil());
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:h:1:q"}).integer(), 1);  // still in flight
}

TEST(WorkerStep, PauseKeyOfAnotherTypeDoesNotStopWorkers) {
  RedisServer server;
  Connection c(server.options());
  c.command({"RPUSH", "resque:pause-all-workers", "x"});
  c.command({"RPUSH", "resque:queue:q", R"({"class":"J","args":[]})"});
  EXPECT_EQ(step(c, Finish::None, "", "t1").kind, Kind::Job);
}

namespace {
std::string failure_entry(const std::string& worker, const std::string& exception,
                          const std::string& payload_json) {
  return R"({"failed_at":"2026/01/01 00:00:00 UTC","payload":)" + payload_json +
         R"(,"exception":")" + exception + R"(","error":"x","backtrace":[],"worker":")" + worker +
         R"(","queue":"q"})";
}
}  // namespace

TEST(WorkerStep, FinishAfterAPeersPruneRemovesOnlyThePeersEntriesForThisJob) {
  // Pruners reconcile: a peer unregistered the worker mid-job (deleting worker:<id>:started and,
  // Ruby, worker:<id>) and wrote the job into `failed`, re-encoding the payload. The finish
  // removes those entries (node's also from stat:failed) and nothing else, and restores
  // worker:<id>:started.
  RedisServer server;
  Connection c(server.options());
  const std::string job = R"({"class":"J","queue":"q","args":[1.0,"\u00e9/x",{"a":null}]})";
  c.command({"RPUSH", "resque:queue:q", job});
  ASSERT_EQ(step(c, Finish::None, "", "t1").kind, Kind::Job);
  c.command({"DEL", "resque:worker:h:1:q", "resque:worker:h:1:q:started"});
  // As Ruby and node re-encode it: other key order, other escapes, 1 for 1.0.
  const std::string reencoded = R"({"queue":"q","class":"J","args":[1,"é\/x",{"a":null}]})";
  const std::vector<std::string> kept{
      failure_entry("h:2:q", "Resque::DirtyExit", reencoded),  // another worker
      failure_entry("h:1:q", "Resque::DirtyExit", R"({"class":"J","queue":"q","args":[2]})"),
      failure_entry("h:1:q", "RuntimeError", reencoded),  // a real failure
  };
  const std::vector<std::string> removed{
      failure_entry("h:1:q", "Resque::DirtyExit", reencoded),
      failure_entry("h:1:q", "Resque::PruneDeadWorkerDirtyExit", reencoded),
      failure_entry("h:1", "Worker Timeout (killed manually)", reencoded),  // node: the name
  };
  for (std::size_t i = 0; i < kept.size(); ++i)
    c.command({"RPUSH", "resque:failed", kept[i], removed[i]});
  c.command({"SET", "resque:stat:failed", "5"});
  EXPECT_EQ(step(c, Finish::Ok, "t1", "t2", job).kind, Kind::Idle);
  EXPECT_EQ(c.command({"LRANGE", "resque:failed", "0", "-1"}).strings(), kept);
  EXPECT_EQ(c.command({"GET", "resque:stat:failed"}).str(), "4");
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
  EXPECT_FALSE(c.command({"GET", "resque:worker:h:1:q:started"}).is_nil());
}

TEST(WorkerStep, PeerEntryBeyondTheLast1000FailuresIsLeftAlone) {
  // The search after a prune is bounded: only the last 1,000 entries of `failed`.
  RedisServer server;
  Connection c(server.options());
  const std::string job = R"({"class":"J","queue":"q","args":[1]})";
  c.command({"RPUSH", "resque:queue:q", job});
  ASSERT_EQ(step(c, Finish::None, "", "t1").kind, Kind::Job);
  c.command({"DEL", "resque:worker:h:1:q:started"});
  const std::string peer = failure_entry("h:1:q", "Resque::DirtyExit", job);
  c.command({"RPUSH", "resque:failed", peer});
  std::vector<std::string> push{"RPUSH", "resque:failed"};
  for (int i = 0; i < 1000; ++i) push.push_back(failure_entry("h:1:q", "Other", job));
  c.pipeline({push});
  EXPECT_EQ(step(c, Finish::Ok, "t1", "t2", job).kind, Kind::Idle);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 1001);
  EXPECT_EQ(c.command({"LINDEX", "resque:failed", "0"}).str(), peer);
}

// issue 11: the step keeps the taken job's queue beside the in-flight copy (a Ruby-dialect
// payload names none), so a job handed back after a peer deleted worker:<id> still names its
// queue; the finish deletes the kept queue with the copy.
TEST(WorkerStep, QueueKeptBesideTheInflightCopyUntilTheFinish) {
  RedisServer server;
  Connection c(server.options());
  const Keys keys("resque");
  const protocol::WorkerKeys wk(keys, "h:2:a,b", "h:2");
  const std::string kept = "resque:resque-cpp:inflight-queue:h:2:a,b";
  ASSERT_EQ(wk.inflight_queue, kept);
  const std::string job = R"({"class":"J","args":[1]})";
  c.command({"RPUSH", "resque:queue:b", job});
  auto run = [&](Finish mode, const std::string& finished, const std::string& token) {
    protocol::StepArgs a;
    a.finish = mode;
    a.finished_token = finished;
    a.finished_payload = job;
    a.run_at = "2026-01-01T00:00:00Z";
    a.token = token;
    protocol::WorkerStep stepper(keys, wk);
    return stepper.run(c, a, {"a", "b"});
  };
  auto r1 = run(Finish::None, "", "t1");
  ASSERT_EQ(r1.kind, Kind::Job);
  EXPECT_EQ(r1.queue, "b");
  EXPECT_EQ(c.command({"GET", kept}).opt_string(), std::optional<std::string>("b"));

  // A peer's pruner deleted the status; the job is handed back naming its queue.
  c.command({"DEL", "resque:worker:h:2:a,b"});
  auto r2 = run(Finish::None, "", "t2");
  ASSERT_EQ(r2.kind, Kind::Job);
  EXPECT_EQ(r2.payload, job);
  EXPECT_EQ(r2.queue, "b");
  EXPECT_EQ(r2.token, "t2");
  EXPECT_EQ(Json::parse(c.command({"GET", "resque:worker:h:2:a,b"}).string())["queue"], "b");

  EXPECT_EQ(run(Finish::Ok, "t2", "t3").kind, Kind::Idle);
  EXPECT_EQ(c.command({"EXISTS", kept, "resque:inflight:h:2:a,b"}).integer(), 0);
}
