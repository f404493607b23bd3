// C++ workers next to real Ruby Resque 3.0.0 workers on one Redis (label `ruby`): sharing a
// queue, Ruby's pruners meeting our live and dead workers, what Ruby's tools see of our
// failures, Ruby-style optional arguments. Without the Ruby peer (RESQUE_RUBY_PEER_DIR, see
// scripts/ruby-peer.sh) every test skips, saying how to get it.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "resque/worker.hpp"
#include "ruby_peer.hpp"
#include "worker_helpers.hpp"

// Set to 1 when typed jobs accept trailing std::optional<T> parameters (issue 11): today such a
// definition does not compile, so the test below uses a resque::Json parameter instead.

using namespace resque;
using namespace resque::test;
using namespace std::chrono_literals;

namespace {

long long llen(Connection& c, const std::string& key) {
  return c.command({"LLEN", key}).integer();
}

}  // namespace

// One Ruby worker (work.rb, in-process performs) and two C++ workers take 1,000 jobs from one
// queue: each is performed exactly once and the stats add up.
TEST(RubyWorker, ThousandJobsSharedByOneRubyAndTwoCppWorkers) {
  RESQUE_REQUIRE_RUBY();
  constexpr int kJobs = 1000;
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  auto cpp_seen = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("InteropJob", [cpp_seen](std::int64_t i) {
    cpp_seen->add(std::to_string(i));
    // A little work per job, so that the Ruby worker gets its share of the queue.
    std::this_thread::sleep_for(2ms);
  });
  auto ruby = start_ruby("work.rb", {"shared", "0.05"}, server.port(), {{"FORK_PER_JOB", "false"}});
  ASSERT_TRUE(ruby->wait_for_output("\"worker\"", 60s)) << ruby->output();
  // Our workers start once Ruby's has registered: its start-up prunes same-host workers of the
  // same queues whose pid is not a `resque` process (the pruner row below), which ours are.
  const std::string ruby_id = last_json_line(ruby->output())["worker"].get<std::string>();
  ASSERT_TRUE(eventually([&] { return is_member(c, "resque:workers", ruby_id); }, 60s));
  Worker w1(server.options(), reg, fast_worker({"shared"}, 20ms));
  Worker w2(server.options(), reg, fast_worker({"shared"}, 20ms));
  w1.start();
  w2.start();
  std::vector<Job> jobs;
  for (int i = 0; i < kJobs; ++i) jobs.push_back(Job{"InteropJob", "shared", Json::array({i}), {}});
  ASSERT_EQ(q.enqueue_batch(jobs), static_cast<std::size_t>(kJobs));

  ASSERT_TRUE(eventually(
      [&] {
        return cpp_seen->size() + static_cast<std::size_t>(llen(c, "interop:performed")) >=
               static_cast<std::size_t>(kJobs);
      },
      120s))
      << "C++ " << cpp_seen->size() << ", Ruby " << llen(c, "interop:performed");
  ruby->signal(SIGQUIT);  // Ruby's graceful stop: finish the current job, unregister
  EXPECT_EQ(ruby->wait(60s), 0) << ruby->output();
  EXPECT_TRUE(w1.stop());
  EXPECT_TRUE(w2.stop());

  std::map<std::string, int> count;
  for (const auto& i : cpp_seen->items()) ++count[i];
  const auto ruby_done = ruby_performed(c);
  for (const auto& p : ruby_done) ++count[std::to_string(p["args"][0].get<std::int64_t>())];
  EXPECT_EQ(count.size(), static_cast<std::size_t>(kJobs));
  for (const auto& [job, n] : count) EXPECT_EQ(n, 1) << "job " << job;
  EXPECT_GT(ruby_done.size(), 0u);
  EXPECT_GT(w1.jobs_done(), 0u);
  EXPECT_GT(w2.jobs_done(), 0u);
  EXPECT_EQ(w1.jobs_done() + w2.jobs_done() + ruby_done.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(get_int(c, "resque:stat:processed"), kJobs);
  EXPECT_EQ(get_int(c, "resque:stat:failed"), 0);
  EXPECT_EQ(llen(c, "resque:queue:shared"), 0);
  EXPECT_EQ(llen(c, "resque:failed"), 0) << lrange(c, "resque:failed").front();
  // Every worker unregistered itself.
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 0);
}

// A C++ failure as Ruby's tools read it: exception, error, queue, worker, failed_at.
TEST(RubyWorker, RubyReadsCppFailureRecords) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Boom", [](std::string) { throw std::runtime_error("boom from C++"); });
  Worker w(server.options(), reg, fast_worker({"boom"}));
  w.start();
  ASSERT_TRUE(q.enqueue("boom", "Boom", {"x"}));
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  w.stop();
  EXPECT_EQ(ruby_ok("failure_op.rb", {"count"}, server.port())["failed_count"], 1);
  const Json f = q.failed()[0].entry;
  EXPECT_EQ(f["exception"], "std::runtime_error");
  EXPECT_EQ(f["error"], "boom from C++");
  EXPECT_EQ(f["queue"], "boom");
  EXPECT_EQ(f["worker"], w.id());
  EXPECT_TRUE(f["failed_at"].is_string());
  EXPECT_TRUE(f["backtrace"].is_array());
}

// issue 11 row: a C++ job raises; its failure's `backtrace` holds frames (here the worker's
// catch site, as the job threw a plain std::runtime_error), which Ruby reads as its own.
TEST(RubyWorker, CppFailureHasABacktrace) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Boom", [](std::string) { throw std::runtime_error("boom from C++"); });
  Worker w(server.options(), reg, fast_worker({"boom"}));
  w.start();
  ASSERT_TRUE(q.enqueue("boom", "Boom", {"x"}));
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  w.stop();
  // Ruby requeues it by index (it reads the entry as its own).
  EXPECT_EQ(ruby_ok("failure_op.rb", {"requeue", "0"}, server.port())["failed_count"], 1);
  const Json f = q.failed()[0].entry;
  ASSERT_TRUE(f["backtrace"].is_array()) << f.dump();
  ASSERT_FALSE(f["backtrace"].empty()) << f.dump();
  for (const auto& frame : f["backtrace"]) {
    ASSERT_TRUE(frame.is_string()) << f.dump();
    EXPECT_FALSE(frame.get<std::string>().empty()) << f.dump();
  }
}

// issue 11 row: a Ruby worker starting on the same host and queues as a live C++ worker prunes
// it (our pid is not a `resque` process in `ps`) and writes Resque::DirtyExit, although the job
// still completes: performed and failed. Pruners reconcile: the finishing step removes the
// DirtyExit entry that names its worker and payload (worker_step.lua).
TEST(RubyWorker, RubyWorkerStartingDoesNotFailALiveCppWorkersJob) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("SlowJob", [gate](std::int64_t) { gate->pass(); });
  Worker w(server.options(), reg, fast_worker({"shared"}));
  OpenOnExit open_on_exit{gate};
  w.start();
  ASSERT_TRUE(q.enqueue("shared", "SlowJob", {1}));
  ASSERT_TRUE(eventually([&] { return gate->entered() == 1; }));

  // A Ruby worker on the same queues starts (and prunes), finds nothing to do, exits.
  const Json report = ruby_ok("work_once.rb", {"shared"}, server.port());
  EXPECT_EQ(report["processed"], 0) << report.dump();
  gate->open();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  EXPECT_EQ(gate->left(), 1);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
  // The job succeeded: no failure entry may say otherwise.
  EXPECT_EQ(q.failed_count(), 0) << (q.failed_count() > 0 ? q.failed()[0].raw : "");
  // The live worker is seen as registered (again at its next heartbeat at the latest).
  EXPECT_TRUE(eventually([&] { return is_member(c, "resque:workers", w.id()); }, 15s));
  w.stop();
}

// issue 11 row: a C++ worker dies; Ruby's heartbeat pruner runs before our Scheduler: Ruby writes
// PruneDeadWorkerDirtyExit but leaves our in-flight list, our Scheduler requeues the job, so it
// is performed and also in the failed list (a retry would run it twice). Pruners reconcile:
// recovery removes the peer's PruneDeadWorkerDirtyExit entry for the job it requeues
// (recover_worker.lua).
TEST(RubyWorker, RubyHeartbeatPrunerBeforeOurSchedulerDoesNotDoubleTheJob) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  // It dies mid-job; its last heartbeat and ping were long ago.
  const std::string id = kill_cpp_worker_mid_job(c, q, server.port());
  ASSERT_FALSE(HasFailure());

  // A Ruby worker starts first and prunes it by its heartbeat.
  ruby_ok("work_once.rb", {"other"}, server.port());
  EXPECT_FALSE(is_member(c, "resque:workers", id));
  // Then our Scheduler recovers the in-flight job, and a C++ worker performs it.
  Scheduler s(server.options(), nullptr, SchedulerOptions{});
  s.run_once();
  auto done = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("SlowJob", [done](std::int64_t i) { done->add(std::to_string(i)); });
  Worker w(server.options(), reg, fast_worker({"jobs"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return done->size() == 1; }, 30s));
  w.stop();
  EXPECT_EQ(done->items(), std::vector<std::string>{"7"});
  // Performed once, and nothing left in the failed list that a retry would run a second time.
  EXPECT_EQ(q.failed_count(), 0) << (q.failed_count() > 0 ? q.failed()[0].raw : "");
  EXPECT_EQ(c.command({"KEYS", "resque:inflight:*"}).size(), 0u);
}

// The same with a C++ worker on two queues and a Ruby-dialect payload (no queue in it): Ruby's
// pruner deleted worker:<id>, so only the queue the worker step kept beside the in-flight copy
// says where the job came from; it goes back there and runs once.
TEST(RubyWorker, RubyPrunerBeforeOurSchedulerRequeuesAMultiQueueWorkersJobToItsQueue) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  const std::string id = kill_cpp_worker_mid_job(c, q, server.port(), "a,b", "b");
  ASSERT_FALSE(HasFailure());

  ruby_ok("work_once.rb", {"other"}, server.port());
  EXPECT_FALSE(is_member(c, "resque:workers", id));
  EXPECT_EQ(c.command({"EXISTS", "resque:worker:" + id}).integer(), 0);  // Ruby deleted it
  Scheduler s(server.options(), nullptr, SchedulerOptions{});
  s.run_once();
  EXPECT_EQ(llen(c, "resque:queue:b"), 1);
  EXPECT_EQ(llen(c, "resque:queue:a"), 0);
  auto done = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("SlowJob", [done](std::int64_t i) { done->add(std::to_string(i)); });
  Worker w(server.options(), reg, fast_worker({"b"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return done->size() == 1; }, 30s));
  w.stop();
  EXPECT_EQ(done->items(), std::vector<std::string>{"7"});
  EXPECT_EQ(q.failed_count(), 0) << (q.failed_count() > 0 ? q.failed()[0].raw : "");
  EXPECT_EQ(c.command({"KEYS", "resque:inflight:*"}).size(), 0u);
}

// issue 11 row: a Ruby job `perform(a, b = nil)` enqueued with one or two arguments is performed
// by a typed C++ job whose trailing parameter is std::optional (missing or null -> nullopt).
TEST(RubyWorker, RubyOptionalArgumentPerformedByTypedCppJob) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  ruby_ok("enqueue.rb", {"opt", "OptJob", R"(["a"])"}, server.port());
  ruby_ok("enqueue.rb", {"opt", "OptJob", R"(["b",null])"}, server.port());
  ruby_ok("enqueue.rb", {"opt", "OptJob", R"(["c","d"])"}, server.port());
  auto seen = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("OptJob", [seen](std::string a, std::optional<std::string> b) {
    seen->add(a + "=" + (b ? *b : "nullopt"));
  });
  Worker w(server.options(), reg, fast_worker({"opt"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 3; }));
  w.stop();
  EXPECT_EQ(seen->items(), (std::vector<std::string>{"a=nullopt", "b=nullopt", "c=d"}));
  EXPECT_EQ(q.failed_count(), 0) << (q.failed_count() > 0 ? q.failed()[0].raw : "");
}
