// Enqueue-side interop with node-resque 9.7.1 (the real library, run through the driver
// scripts in tests/interop/node): what resque-cpp writes, node reads, performs, promotes and
// matches byte for byte, and the other way round.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "node_peer.hpp"
#include "redis_dump.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/job.hpp"
#include "resque/keys.hpp"
#include "resque/queue.hpp"

using namespace resque;
using resque::test::dump_redis;
using resque::test::load_fixture;
using resque::test::NodeResult;
using resque::test::performed_jobs;
using resque::test::RedisServer;
using resque::test::run_node;
using resque::test::without_keys;

namespace {

using Clock = std::chrono::system_clock;

Clock::time_point at_seconds(std::int64_t s) {
  return Clock::time_point(std::chrono::seconds(s));
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
}

// Arguments that exercise the codec where the two sides could disagree: unicode, '/',
// escapes, floats that print differently in other languages, integers up to 2^53, empty and
// nested containers, and an object whose integer-like keys JavaScript reorders.
Json tricky_args() {
  return decode_json(
      R"([42,"a@b.pt","caf\u00e9 \u65e5\u672c \ud83d\ude00 a/b \"q\" \\ \n\t\u0001",)"
      R"(1.5,1e21,1e-7,0.1,-0,9007199254740991,-9007199254740991,true,false,null,)"
      R"([],{},[[1,[2]],{"k":[]}],{"z":1,"a":{"y":2,"b":3}},{"b":1,"2":2,"1":3}])");
}

// Fails the test unless the driver exited 0; returns its JSON report.
Json node_ok(const NodeResult& r, const std::string& what) {
  EXPECT_EQ(r.status, 0) << what << " failed:\n" << r.output;
  return r.json();
}

std::vector<Job> queued(const RedisServer& server, const std::string& queue) {
  return Queue(server.options()).queued(queue);
}

const std::vector<std::string> kNodeOnlyKeys = {"resque:connection_test_key"};

// node's byte-matching operations (del, delDelayed, scheduledAt, duplicate checks) and node's
// golden dumps need node's bytes: the node dialect (the default is Ruby's).
ConnectionOptions node_dialect(ConnectionOptions o) {
  o.dialect = Dialect::node;
  return o;
}

}  // namespace

// ---- resque-cpp writes, node reads --------------------------------------------------------

TEST(QueueInterop, CppEnqueueNodeWorkerPerformsSameArgs) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Queue queue(server.options());
  ASSERT_TRUE(queue.enqueue("exports", "ExportJob", Json::array({42, "a@b.pt"})));
  ASSERT_TRUE(queue.enqueue("exports", "TrickyJob", tricky_args()));
  ASSERT_TRUE(queue.enqueue("exports", "NoArgsJob"));

  const Json report = node_ok(run_node("work_once.js", {"exports"}, server.port()), "work_once");
  ASSERT_EQ(report["success"].size(), 3u) << report.dump();
  EXPECT_TRUE(report["failure"].empty()) << report.dump();

  Connection redis(server.options());
  const auto done = performed_jobs(redis);
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0]["class"], "ExportJob");
  EXPECT_EQ(done[0]["queue"], "exports");
  EXPECT_EQ(encode_json(done[0]["args"]), R"([42,"a@b.pt"])");
  EXPECT_EQ(done[1]["class"], "TrickyJob");
  // node re-stringified the args it was called with; the bytes equal ours.
  EXPECT_EQ(encode_json(done[1]["args"]), encode_json(tricky_args()));
  EXPECT_EQ(done[2]["class"], "NoArgsJob");
  EXPECT_EQ(done[2]["args"], Json::array());

  EXPECT_EQ(redis.command({"LLEN", "resque:queue:exports"}).integer(), 0);
  EXPECT_EQ(redis.command({"GET", "resque:stat:processed"}).string(), "3");
}

TEST(QueueInterop, CppEnqueueAtNodeSchedulerPromotesNodeWorkerPerforms) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Queue queue(server.options());
  const std::int64_t due = now_seconds() - 5;
  ASSERT_TRUE(queue.enqueue_at(at_seconds(due), "exports", "ExportJob", tricky_args()));
  ASSERT_TRUE(queue.enqueue_at(at_seconds(1900000000), "exports", "LaterJob", Json::array({1})));

  const Json sched = node_ok(run_node("scheduler_once.js", {}, server.port()), "scheduler_once");
  EXPECT_EQ(sched["leader"], true) << sched.dump();
  ASSERT_EQ(sched["transferred"].size(), 1u) << sched.dump();
  EXPECT_EQ(sched["transferred"][0]["timestamp"], due);
  EXPECT_EQ(sched["transferred"][0]["job"]["class"], "ExportJob");

  Connection redis(server.options());
  const Keys keys;
  Job promoted;
  promoted.klass = "ExportJob";
  promoted.queue = "exports";
  promoted.args = tricky_args();
  // node removed every trace of the promoted job: the list, the schedule entry and the
  // timestamps: set it found by the raw payload we wrote.
  EXPECT_EQ(redis.command({"EXISTS", keys.delayed(due)}).integer(), 0);
  EXPECT_TRUE(redis.command({"ZSCORE", keys.delayed_schedule(), std::to_string(due)}).is_nil());
  EXPECT_EQ(redis.command({"EXISTS", keys.timestamps(encode_delayed(promoted))}).integer(), 0);
  // The future job is untouched.
  EXPECT_EQ(redis.command({"LLEN", keys.delayed(1900000000)}).integer(), 1);

  const auto waiting = queued(server, "exports");
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(encode_payload(waiting[0], Dialect::node), encode_payload(promoted, Dialect::node));

  const Json work = node_ok(run_node("work_once.js", {"exports"}, server.port()), "work_once");
  ASSERT_EQ(work["success"].size(), 1u) << work.dump();
  const auto done = performed_jobs(redis);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["class"], "ExportJob");
  EXPECT_EQ(encode_json(done[0]["args"]), encode_json(tricky_args()));
}

TEST(QueueInterop, NodeByteMatchingOpsFindCppJobs) {
  // node's del / scheduledAt / delDelayed match by the bytes node itself would write, so they
  // only see our jobs because encode_payload reproduces JSON.stringify exactly (including
  // JavaScript's order for integer-like object keys), in the node dialect.
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Queue queue(node_dialect(server.options()));
  const Json args = Json::array({Json{{"b", 1}, {"2", 2}, {"1", 3}}, "a/b", 0.5});
  ASSERT_TRUE(queue.enqueue("exports", "ExportJob", args));
  ASSERT_TRUE(queue.enqueue("exports", "ExportJob", Json::array({"other"})));
  ASSERT_TRUE(queue.enqueue_at(at_seconds(1900000000), "exports", "ExportJob", args));
  ASSERT_TRUE(queue.enqueue_at(at_seconds(1900000100), "exports", "ExportJob", args));
  const std::string node_args = R"(["exports","ExportJob",[{"b":1,"2":2,"1":3},"a/b",0.5]])";

  Json r =
      node_ok(run_node("queue_ops.js", {"scheduledAt", node_args}, server.port()), "scheduledAt");
  std::set<std::int64_t> at;
  for (const auto& t : r["result"]) at.insert(t.get<std::int64_t>());
  EXPECT_EQ(at, (std::set<std::int64_t>{1900000000, 1900000100})) << r.dump();

  r = node_ok(run_node("queue_ops.js", {"delayedAt", "[1900000000000]"}, server.port()),
              "delayedAt");
  ASSERT_EQ(r["result"]["tasks"].size(), 1u) << r.dump();
  EXPECT_EQ(encode_json(r["result"]["tasks"][0]["args"]), encode_json(args));

  r = node_ok(run_node("queue_ops.js", {"del", node_args}, server.port()), "del");
  EXPECT_EQ(r["result"], 1) << r.dump();
  r = node_ok(run_node("queue_ops.js", {"delDelayed", node_args}, server.port()), "delDelayed");
  EXPECT_EQ(r["result"].size(), 2u) << r.dump();

  Connection redis(server.options());
  const Keys keys;
  const auto left = queued(server, "exports");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].args, Json::array({"other"}));
  EXPECT_EQ(redis.command({"LLEN", keys.delayed(1900000000)}).integer(), 0);
  EXPECT_EQ(redis.command({"LLEN", keys.delayed(1900000100)}).integer(), 0);

  r = node_ok(run_node("queue_ops.js", {"queued", R"(["exports",0,-1])"}, server.port()), "queued");
  ASSERT_EQ(r["result"].size(), 1u) << r.dump();
  EXPECT_EQ(r["result"][0],
            Json({{"class", "ExportJob"}, {"queue", "exports"}, {"args", {"other"}}}));
}

// ---- node writes, resque-cpp reads --------------------------------------------------------

TEST(QueueInterop, NodeEnqueueCppReads) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  node_ok(run_node("enqueue.js", {"exports", "ExportJob", R"([42,"a@b.pt"])"}, server.port()),
          "enqueue");
  node_ok(
      run_node("enqueue.js", {"exports", "TrickyJob", encode_json(tricky_args())}, server.port()),
      "enqueue");
  node_ok(run_node("enqueue.js", {"other", "NoArgsJob"}, server.port()), "enqueue");

  Connection redis(server.options());
  const Keys keys;
  auto queues = redis.command({"SMEMBERS", keys.queues()}).strings();
  std::sort(queues.begin(), queues.end());
  EXPECT_EQ(queues, (std::vector<std::string>{"exports", "other"}));

  const auto raw = redis.command({"LRANGE", keys.queue("exports"), "0", "-1"}).strings();
  const auto jobs = queued(server, "exports");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].klass, "ExportJob");
  EXPECT_EQ(jobs[0].queue, "exports");
  EXPECT_EQ(jobs[0].args, Json::array({42, "a@b.pt"}));
  EXPECT_EQ(jobs[1].klass, "TrickyJob");
  EXPECT_EQ(encode_json(jobs[1].args), encode_json(tricky_args()));
  // Re-encoding what node wrote gives node's bytes back.
  for (std::size_t i = 0; i < jobs.size(); ++i)
    EXPECT_EQ(encode_payload(jobs[i], Dialect::node), raw[i]);

  const auto other = queued(server, "other");
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].klass, "NoArgsJob");
  EXPECT_EQ(other[0].args, Json::array());
}

TEST(QueueInterop, NodeEnqueueAtFoundByOurKeysAndDuplicateCheck) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  const Json r = node_ok(
      run_node("enqueue_at.js", {"1900000000000", "exports", "ExportJob", R"([42,"a@b.pt"])"},
               server.port()),
      "enqueue_at");
  EXPECT_EQ(r["timestamp_s"], 1900000000);

  Job job;
  job.klass = "ExportJob";
  job.queue = "exports";
  job.args = Json::array({42, "a@b.pt"});
  Connection redis(server.options());
  const Keys keys;
  // scheduled_at's lookup: the timestamps: set of our encoding of the same job.
  EXPECT_EQ(
      redis.command({"SMEMBERS", keys.timestamps(encode_delayed(job, Dialect::node))}).strings(),
      (std::vector<std::string>{"delayed:1900000000"}));
  const auto delayed = redis.command({"LRANGE", keys.delayed(1900000000), "0", "-1"}).strings();
  ASSERT_EQ(delayed.size(), 1u);
  EXPECT_EQ(decode_payload(delayed[0]), job);
  EXPECT_EQ(delayed[0], encode_delayed(job, Dialect::node));
  EXPECT_EQ(redis.command({"ZSCORE", keys.delayed_schedule(), "1900000000"}).string(),
            "1900000000");

  // Our duplicate check sees node's entry: same job, same second, in either dialect.
  Queue ruby_queue(server.options());
  EXPECT_THROW(ruby_queue.enqueue_at(at_seconds(1900000000), "exports", "ExportJob", job.args),
               JobError);
  Queue queue(node_dialect(server.options()));
  EXPECT_THROW(queue.enqueue_at(at_seconds(1900000000), "exports", "ExportJob", job.args),
               JobError);
  EXPECT_FALSE(queue.enqueue_at(at_seconds(1900000000), "exports", "ExportJob", job.args, true));
  EXPECT_EQ(redis.command({"LLEN", keys.delayed(1900000000)}).integer(), 1);

  // And node's duplicate check sees ours (written in the node dialect).
  ASSERT_TRUE(queue.enqueue_at(at_seconds(1900000050), "exports", "ExportJob", job.args));
  const NodeResult dup =
      run_node("enqueue_at.js", {"1900000050000", "exports", "ExportJob", R"([42,"a@b.pt"])"},
               server.port());
  EXPECT_EQ(dup.status, 1) << dup.output;
  EXPECT_EQ(dup.json()["error"], "Job already enqueued at this time with same arguments")
      << dup.output;
}

// ---- the keys resque-cpp writes equal node's golden dumps ----------------------------------

TEST(QueueInterop, CppEnqueueEqualsNodeFixture01) {
  RedisServer server;
  Queue queue(node_dialect(server.options()));
  ASSERT_TRUE(queue.enqueue("exports", "ExportJob", Json::array({42, "a@b.pt"})));
  Connection redis(server.options());
  const Json expected = without_keys(load_fixture("node/01_enqueue.json"), kNodeOnlyKeys);
  EXPECT_EQ(dump_redis(redis).dump(2), expected.dump(2));
}

TEST(QueueInterop, CppEnqueueAtEqualsNodeFixture02) {
  RedisServer server;
  Queue queue(node_dialect(server.options()));
  ASSERT_TRUE(queue.enqueue_at(at_seconds(1900000000), "exports", "ExportJob",
                               Json::array({42, "a@b.pt"})));
  Connection redis(server.options());
  const Json expected = without_keys(load_fixture("node/02_enqueue_at.json"), kNodeOnlyKeys);
  EXPECT_EQ(dump_redis(redis).dump(2), expected.dump(2));
}

TEST(QueueInterop, CppAndLiveNodeWriteTheSameKeys) {
  // The same check against the installed node-resque instead of the stored dump, with
  // arguments that stress the encoder.
  RESQUE_REQUIRE_NODE();
  RedisServer ours;
  RedisServer theirs;
  Queue queue(node_dialect(ours.options()));
  ASSERT_TRUE(queue.enqueue("exports", "TrickyJob", tricky_args()));
  ASSERT_TRUE(queue.enqueue_at(at_seconds(1900000000), "exports", "TrickyJob", tricky_args()));
  const std::string args = encode_json(tricky_args());
  node_ok(run_node("enqueue.js", {"exports", "TrickyJob", args}, theirs.port()), "enqueue");
  node_ok(run_node("enqueue_at.js", {"1900000000000", "exports", "TrickyJob", args}, theirs.port()),
          "enqueue_at");

  Connection a(ours.options());
  Connection b(theirs.options());
  const Json mine = dump_redis(a);
  EXPECT_EQ(mine.size(), 5u) << mine.dump(2);
  EXPECT_EQ(mine.dump(2), without_keys(dump_redis(b), kNodeOnlyKeys).dump(2));
}

// ---- resque-cpp manages what node wrote, and the other way round ------------------------------

TEST(QueueInterop, NodeEnqueueAtFoundAndRemovedByCpp) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  node_ok(run_node("enqueue_at.js", {"1900000000000", "exports", "ExportJob", R"([42,"a@b.pt"])"},
                   server.port()),
          "enqueue_at");
  Queue queue(server.options());
  const Json args = Json::array({42, "a@b.pt"});
  EXPECT_EQ(queue.scheduled_at("exports", "ExportJob", args),
            std::vector<std::int64_t>{1900000000});
  const auto at = queue.delayed_at(1900000000);
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].klass, "ExportJob");
  EXPECT_EQ(at[0].args, args);
  EXPECT_EQ(queue.del_delayed("exports", "ExportJob", args), std::vector<std::int64_t>{1900000000});
  EXPECT_TRUE(queue.scheduled_at("exports", "ExportJob", args).empty());
  EXPECT_TRUE(queue.delayed_at(1900000000).empty());
  // node agrees it is gone.
  const Json r =
      node_ok(run_node("queue_ops.js", {"scheduledAt", R"(["exports","ExportJob",[42,"a@b.pt"]])"},
                       server.port()),
              "scheduledAt");
  EXPECT_EQ(r["result"], Json::array());
}

TEST(QueueInterop, CppDelRemovesNodeJobs) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  for (int i = 0; i < 3; ++i)
    node_ok(run_node("enqueue.js", {"exports", "ExportJob", R"([42,"a@b.pt"])"}, server.port()),
            "enqueue");
  node_ok(run_node("enqueue.js", {"exports", "ExportJob", R"([43,"a@b.pt"])"}, server.port()),
          "enqueue");
  Queue queue(server.options());
  EXPECT_EQ(queue.del("exports", "ExportJob", Json::array({42, "a@b.pt"}), 2), 2);
  EXPECT_EQ(queue.length("exports"), 2);
  EXPECT_EQ(queue.del_by_class("exports", "ExportJob"), 2);
  EXPECT_EQ(queue.length("exports"), 0);
}

TEST(QueueInterop, NodeRemoveFailedRemovesCppFailureEntries) {
  RESQUE_REQUIRE_NODE();
  RedisServer server;
  Connection c(server.options());
  // A failure entry exactly as a resque-cpp worker writes it (Ruby's fields and order).
  const std::string entry =
      R"({"failed_at":"2026/11/28 06:46:46 UTC","payload":{"class":"ExportJob","queue":"exports",)"
      R"("args":[42,"a@b.pt"]},"exception":"std::runtime_error","error":"boom","backtrace":[],)"
      R"("worker":"vm:1:exports","queue":"exports"})";
  c.command({"RPUSH", "resque:failed", entry});
  const Json failed =
      node_ok(run_node("queue_ops.js", {"failed", "[0,-1]"}, server.port()), "failed")["result"];
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["error"], "boom");
  // node re-serializes the object it read and LREMs those bytes: they must be ours exactly.
  const Json removed = node_ok(
      run_node("queue_ops.js", {"removeFailed", "[" + failed[0].dump() + "]"}, server.port()),
      "removeFailed");
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0) << removed.dump();
}
