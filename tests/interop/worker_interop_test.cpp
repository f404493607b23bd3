// C++ workers next to node-resque: node enqueues and C++ performs; node's Queue reads the C++
// worker's registration, status and failure records (tests/interop/node/worker_*.js).
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "node_peer.hpp"
#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"
#include "resque/worker_pool.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

namespace {
// Runs tests/interop/node/<script> and returns what it printed after "RESULT ".
Json node(const RedisServer& server, const std::string& script,
          std::vector<std::string> args = {}) {
  std::vector<std::string> argv{"node", node_script(script)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto [status, out] = run(argv, {{"REDIS_PORT", std::to_string(server.port())}});
  EXPECT_EQ(status, 0) << out;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("RESULT ", 0) == 0) return Json::parse(line.substr(7));
  ADD_FAILURE() << script << " printed no result:\n" << out;
  return Json();
}
}  // namespace

TEST(WorkerInterop, PoolPerformsNodeAndRubyPayloads) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  constexpr int kNode = 200, kRuby = 20;
  std::mutex mu;
  std::map<std::string, int> seen;
  auto reg = std::make_shared<JobRegistry>();
  reg->define("InteropJob", [&](std::int64_t i, std::string from) {
    std::lock_guard<std::mutex> l(mu);
    ++seen[from + std::to_string(i)];
  });
  Connection c(server.options());
  // Ruby's Resque.push format: {"class","args"}, no queue.
  for (int i = 0; i < kRuby; ++i)
    push_raw(c, "interop",
             R"({"class":"InteropJob","args":[)" + std::to_string(i) + R"(,"ruby"]})");
  WorkerPoolOptions po;
  po.worker = fast_worker({"interop"});
  po.min_threads = po.max_threads = 2;
  WorkerPool pool(server.options(), reg, po);
  pool.start();
  EXPECT_EQ(node(server, "worker_enqueue.js", {"interop", "InteropJob", std::to_string(kNode)}),
            kNode);
  ASSERT_TRUE(eventually([&] { return pool.jobs_done() == kNode + kRuby; }));
  EXPECT_TRUE(pool.stop());
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kNode + kRuby));
  for (const auto& [job, count] : seen) EXPECT_EQ(count, 1) << job;
  EXPECT_EQ(seen.count("node0"), 1u);
  EXPECT_EQ(seen.count("ruby" + std::to_string(kRuby - 1)), 1u);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), kNode + kRuby);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
}

TEST(WorkerInterop, NodeSeesTheWorkerAndItsJob) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("SlowJob", [gate](std::int64_t) { gate->pass(); });
  const std::string payload = R"({"class":"SlowJob","queue":"exports","args":[3]})";
  push_raw(c, "exports", payload);
  Worker w(server.options(), reg, fast_worker({"exports"}));
  OpenOnExit open_on_exit{gate};
  w.start();
  ASSERT_TRUE(eventually([&] { return gate->entered() == 1; }));

  const Json seen = node(server, "worker_inspect.js", {"inspect"});
  // workers(): name "host:pid" -> "exports", parsed from our id.
  EXPECT_EQ(seen["workers"], Json({{w.name(), "exports"}})) << seen.dump();
  // allWorkingOn(): node lists every worker as "started", then stores each status under the
  // status' own "worker" field, which our status carries (the worker name), so node shows the
  // C++ worker busy with its job.
  const Json& working = seen["allWorkingOn"];
  ASSERT_TRUE(working.contains(w.name())) << working.dump();
  const Json status = working[w.name()];
  ASSERT_TRUE(status.is_object()) << working.dump();
  EXPECT_EQ(working.size(), 1u) << working.dump();
  EXPECT_EQ(status["queue"], "exports");
  EXPECT_EQ(status["payload"], Json::parse(payload));
  EXPECT_TRUE(status["run_at"].is_string());
  gate->open();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  // Idle again: node sees it registered and "started" (idle).
  const Json idle = node(server, "worker_inspect.js", {"inspect"});
  EXPECT_EQ(idle["allWorkingOn"], Json({{w.name(), "started"}})) << idle.dump();
}

TEST(WorkerInterop, NodeReadsAndRetriesCppFailures) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  auto attempts = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  // Fails the first time it sees an argument, succeeds the next time.
  reg->define("FlakyJob", [attempts](std::string arg) {
    attempts->add(arg);
    if (attempts->count(arg) == 1) throw std::runtime_error("first attempt of " + arg);
  });
  Worker w(server.options(), reg, fast_worker({"flaky"}));
  w.start();
  // node's dialect: node compares the failure (with our payload inside) by JSON.stringify bytes.
  ConnectionOptions node_options = server.options();
  node_options.dialect = Dialect::node;
  Queue q(node_options, reg);
  ASSERT_TRUE(q.enqueue("flaky", "FlakyJob", Json::array({"a"})));
  ASSERT_TRUE(q.enqueue("flaky", "FlakyJob", Json::array({"ü/é \"quoted\""})));
  ASSERT_TRUE(eventually([&] { return c.command({"LLEN", "resque:failed"}).integer() == 2; }));

  const Json seen = node(server, "worker_inspect.js", {"inspect"});
  EXPECT_EQ(seen["failedCount"], 2);
  ASSERT_EQ(seen["failed"].size(), 2u) << seen.dump();
  const Json& f = seen["failed"][0];
  EXPECT_EQ(f["worker"], w.id());
  EXPECT_EQ(f["queue"], "flaky");
  EXPECT_EQ(f["exception"], "std::runtime_error");
  EXPECT_EQ(f["error"], "first attempt of a");
  EXPECT_EQ(f["payload"], Json::parse(R"({"class":"FlakyJob","queue":"flaky","args":["a"]})"));
  EXPECT_TRUE(f["failed_at"].is_string());
  EXPECT_TRUE(f["backtrace"].is_array());

  // node's retryAndRemoveFailed finds each entry by JSON.stringify of what it parsed: that works
  // only because the record's bytes are exactly what JSON.stringify writes.
  EXPECT_EQ(node(server, "worker_inspect.js", {"retry-failed"}), 2);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
  ASSERT_TRUE(eventually([&] { return attempts->size() == 4; }));
  ASSERT_TRUE(eventually([&] { return get_int(c, "resque:stat:processed") == 4; }));
  EXPECT_EQ(get_int(c, "resque:stat:failed"), 2);
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
}
