// node-resque's cleanups of our workers (issue 17), with real node-resque 9.7.1 on one Redis:
// queue.cleanOldWorkers(age) and the scheduler's checkStuckWorkers both run forceCleanWorker,
// which writes the worker's job into `failed` ("Worker Timeout (killed manually)") and deletes
// the worker's registration, but not our in-flight list. Whoever cleans first, the job ends
// exactly once: lost 0, doubled 0, also when node's retryStuckJobs retries the failed entries
// afterwards (pruners reconcile: worker_step.lua's finish, recover_worker.lua).
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "node_peer.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "resque/worker.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;
using namespace std::chrono_literals;

namespace {

long long llen(Connection& c, const std::string& key) {
  return c.command({"LLEN", key}).integer();
}

std::string failed_dump(Queue& q) {
  std::string out;
  for (const auto& f : q.failed()) out += f.raw + "\n";
  return out;
}

// Our Scheduler recovers, node's retryStuckJobs retries whatever node's cleanup left in
// `failed`, then a C++ worker performs everything queued: job 7 must run exactly once.
void recover_retry_and_perform(const RedisServer& server, Connection& c, Queue& q,
                               const std::string& id) {
  const int port = server.port();
  Scheduler s(server.options(), nullptr, SchedulerOptions{});
  s.run_once();
  const NodeResult retry = run_node("queue_ops.js", {"retryStuckJobs"}, port);
  ASSERT_EQ(retry.status, 0) << retry.output;

  auto done = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("SlowJob", [done](std::int64_t i) { done->add(std::to_string(i)); });
  Worker w(server.options(), reg, fast_worker({"jobs"}));
  w.start();
  ASSERT_TRUE(
      eventually([&] { return done->size() >= 1 && llen(c, "resque:queue:jobs") == 0; }, 30s));
  // A second copy would have been taken with the first (both queued before the worker started).
  EXPECT_TRUE(w.stop());
  EXPECT_EQ(done->items(), std::vector<std::string>{"7"});  // lost 0, doubled 0
  EXPECT_EQ(q.failed_count(), 0) << failed_dump(q);
  EXPECT_EQ(c.command({"KEYS", "resque:inflight:*"}).size(), 0u);
  // node unregistered the worker but left its workers:heartbeat field: recovery removed it.
  EXPECT_TRUE(c.command({"HGET", "resque:workers:heartbeat", id}).is_nil());
  EXPECT_FALSE(is_member(c, "resque:workers", id));
}

}  // namespace

// node's queue.cleanOldWorkers(age) cleans our dead worker before our Scheduler does.
TEST(PruneInterop, NodeCleanOldWorkersBeforeOurSchedulerDoesNotDoubleTheJob) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  const std::string id = kill_cpp_worker_mid_job(c, q, server.port());
  ASSERT_FALSE(HasFailure());
  const NodeResult clean = run_node("queue_ops.js", {"cleanOldWorkers", "[0]"}, server.port());
  ASSERT_EQ(clean.status, 0) << clean.output;
  ASSERT_EQ(q.failed_count(), 1) << clean.output;  // node's entry for job 7
  EXPECT_FALSE(is_member(c, "resque:workers", id));
  recover_retry_and_perform(server, c, q, id);
}

// node's scheduler (checkStuckWorkers, by the worker's old ping) cleans it first.
TEST(PruneInterop, NodeCheckStuckWorkersBeforeOurSchedulerDoesNotDoubleTheJob) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  const std::string id = kill_cpp_worker_mid_job(c, q, server.port());
  ASSERT_FALSE(HasFailure());
  const NodeResult sched =
      run_node("scheduler_once.js", {}, server.port(), {{"STUCK_WORKER_TIMEOUT_MS", "1000"}});
  ASSERT_EQ(sched.status, 0) << sched.output;
  ASSERT_EQ(sched.json()["cleanStuckWorker"].size(), 1u) << sched.output;
  ASSERT_EQ(q.failed_count(), 1) << sched.output;
  recover_retry_and_perform(server, c, q, id);
}

// node's cleanOldWorkers(age) cleans a live C++ worker whose job runs longer than `age`: the
// job still completes, and its finish removes node's entry (and node's stat:failed count).
TEST(PruneInterop, NodeCleanOldWorkersOnALiveWorkerLeavesNoFailure) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("SlowJob", [gate](std::int64_t) { gate->pass(); });
  Worker w(server.options(), reg, fast_worker({"jobs"}));
  OpenOnExit open_on_exit{gate};
  w.start();
  ASSERT_TRUE(q.enqueue("jobs", "SlowJob", {1}));
  ASSERT_TRUE(eventually([&] { return gate->entered() == 1; }));
  const NodeResult clean = run_node("queue_ops.js", {"cleanOldWorkers", "[0]"}, server.port());
  ASSERT_EQ(clean.status, 0) << clean.output;
  ASSERT_EQ(q.failed_count(), 1) << clean.output;
  ASSERT_EQ(get_int(c, "resque:stat:failed"), 1);
  gate->open();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  EXPECT_EQ(q.failed_count(), 0) << failed_dump(q);
  EXPECT_EQ(get_int(c, "resque:stat:failed"), 0);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
  // A retry of stuck jobs afterwards finds nothing to run again.
  const NodeResult retry = run_node("queue_ops.js", {"retryStuckJobs"}, server.port());
  ASSERT_EQ(retry.status, 0) << retry.output;
  EXPECT_EQ(llen(c, "resque:queue:jobs"), 0);
  EXPECT_EQ(gate->left(), 1);
  // The registration node deleted is back (worker:<id>:started by the finish, the rest by the
  // heartbeat).
  EXPECT_TRUE(get(c, "resque:worker:" + w.id() + ":started").has_value());
  EXPECT_TRUE(eventually([&] { return is_member(c, "resque:workers", w.id()); }, 15s));
  w.stop();
}
