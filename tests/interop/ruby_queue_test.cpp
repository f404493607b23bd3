// Enqueue, perform and failures with real Ruby Resque (3.0.0, and 2.7.0 where stated) on the same
// Redis, through the drivers in tests/interop/ruby (label `ruby`). Without the Ruby peer
// (RESQUE_RUBY_PEER_DIR, see scripts/ruby-peer.sh) every test skips, saying how to get it.
//
// Rows of issue 11's table are marked "issue 11 row".
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"
#include "ruby_peer.hpp"

using namespace resque;
using namespace resque::test;
using namespace std::chrono_literals;

namespace {

WorkerOptions fast(std::vector<std::string> queues) {
  WorkerOptions o;
  o.queues = std::move(queues);
  o.poll_interval = 20ms;
  return o;
}

// Everything one C++ job received, in order (thread-safe: workers perform on their threads).
struct Seen {
  std::mutex mu;
  std::vector<Json> args;
  void add(Json a) {
    std::lock_guard<std::mutex> l(mu);
    args.push_back(std::move(a));
  }
  std::vector<Json> all() {
    std::lock_guard<std::mutex> l(mu);
    return args;
  }
};

long long llen(Connection& c, const std::string& key) {
  return c.command({"LLEN", key}).integer();
}

// Arguments both sides must carry unchanged: unicode, escapes, nesting, integers up to 2^53,
// a fraction, booleans and null.
Json plain_args() {
  return decode_json(R"([42,"a@b.pt","caf\u00e9 \ud83d\ude00 a/b \"q\"",1.5,9007199254740991,)"
                     R"(-7,true,false,null,[],{"k":[1,{"z":null}]}])");
}

// C++ enqueues; a real Ruby worker (work_once.rb) performs; interop:performed shows what it got.
void cpp_enqueue_ruby_performs(RubyResque version) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  ASSERT_TRUE(q.enqueue("interop", "InteropJob", plain_args()));
  const Json report = ruby_ok("work_once.rb", {"interop"}, server.port(), {}, version);
  EXPECT_EQ(report["processed"], 1) << report.dump();
  EXPECT_EQ(report["failed"], 0) << report.dump();
  const auto performed = ruby_performed(c);
  ASSERT_EQ(performed.size(), 1u);
  EXPECT_EQ(performed[0]["class"], "InteropJob");
  EXPECT_EQ(performed[0]["queue"], "interop");
  EXPECT_EQ(performed[0]["args"], plain_args()) << performed[0].dump();
  EXPECT_EQ(llen(c, "resque:queue:interop"), 0);
  EXPECT_EQ(llen(c, "resque:failed"), 0);
}

// Ruby enqueues (enqueue.rb); a typed C++ job performs it.
void ruby_enqueue_cpp_performs(RubyResque version) {
  RedisServer server;
  Connection c(server.options());
  ruby_ok("enqueue.rb", {"interop", "ExportJob", R"([42,"a@b.pt"])"}, server.port(), {}, version);
  ruby_ok("enqueue.rb", {"interop", "InteropJob", encode_json(plain_args())}, server.port(), {},
          version);
  // Ruby's own payload: {"class","args"}, no queue.
  EXPECT_EQ(c.command({"LINDEX", "resque:queue:interop", "0"}).str(),
            R"({"class":"ExportJob","args":[42,"a@b.pt"]})");
  auto seen = std::make_shared<Seen>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("ExportJob", [seen](std::int64_t id, std::string email) {
    seen->add(Json::array({id, email}));
  });
  reg->define_raw("InteropJob", [seen](const Job& job) { seen->add(job.args); });
  Worker w(server.options(), reg, fast({"interop"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  w.stop();
  const auto got = seen->all();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], Json::array({42, "a@b.pt"}));
  EXPECT_EQ(got[1], plain_args());
  EXPECT_EQ(llen(c, "resque:failed"), 0);
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 2);
}

// Ruby's Failure.requeue / remove / requeue_all on failures our worker wrote.
void ruby_manages_cpp_failures(RubyResque version) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  auto fail_now = std::make_shared<std::atomic<bool>>(true);
  auto seen = std::make_shared<Seen>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("FlakyJob", [fail_now, seen](std::string arg) {
    if (*fail_now) throw std::runtime_error("failed " + arg);
    seen->add(arg);
  });
  for (const char* a : {"a", "b", "c"}) ASSERT_TRUE(q.enqueue("flaky", "FlakyJob", {a}));
  {
    Worker w(server.options(), reg, fast({"flaky"}));
    w.start();
    ASSERT_TRUE(eventually([&] { return w.jobs_done() == 3; }));
    w.stop();
  }
  ASSERT_EQ(q.failed_count(), 3);
  EXPECT_EQ(ruby_ok("failure_op.rb", {"count"}, server.port(), {}, version)["failed_count"], 3);

  // requeue 0: the job goes back to its queue, the entry stays with retried_at.
  ruby_ok("failure_op.rb", {"requeue", "0"}, server.port(), {}, version);
  auto queued = q.queued("flaky");
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].klass, "FlakyJob");
  EXPECT_EQ(queued[0].args, Json::array({"a"}));
  auto failed = q.failed();
  ASSERT_EQ(failed.size(), 3u);
  EXPECT_TRUE(failed[0].entry.contains("retried_at")) << failed[0].raw;

  // remove 1 ("b"), then requeue_all: "a" and "c" are queued again.
  EXPECT_EQ(ruby_ok("failure_op.rb", {"remove", "1"}, server.port(), {}, version)["failed_count"],
            2);
  failed = q.failed();
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].entry["payload"]["args"], Json::array({"a"}));
  EXPECT_EQ(failed[1].entry["payload"]["args"], Json::array({"c"}));
  ruby_ok("failure_op.rb", {"requeue_all"}, server.port(), {}, version);
  EXPECT_EQ(q.length("flaky"), 3);

  // Our worker performs what Ruby requeued.
  *fail_now = false;
  Worker w(server.options(), reg, fast({"flaky"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 3; }));
  w.stop();
  EXPECT_EQ(seen->all(), (std::vector<Json>{"a", "a", "c"}));
  EXPECT_EQ(ruby_ok("failure_op.rb", {"clear"}, server.port(), {}, version)["failed_count"], 0);
}

// Our retry_failed / remove_failed / retry_all_failed on failures a Ruby worker wrote.
void cpp_manages_ruby_failures(RubyResque version) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  for (const char* a : {R"(["x"])", R"(["y"])", R"(["z"])"})
    ruby_ok("enqueue.rb", {"jobs", "FailingJob", a}, server.port(), {}, version);
  EXPECT_EQ(ruby_ok("work_once.rb", {"jobs"}, server.port(), {}, version)["failed"], 3);
  auto failed = q.failed();
  ASSERT_EQ(failed.size(), 3u);
  EXPECT_EQ(failed[0].entry["exception"], "RuntimeError");
  EXPECT_EQ(failed[0].entry["error"], "boom");
  EXPECT_EQ(failed[0].entry["queue"], "jobs");

  q.retry_failed(0);                // "x" queued again, entry kept (retried_at)
  EXPECT_TRUE(q.remove_failed(1));  // "y"
  EXPECT_EQ(ruby_ok("failure_op.rb", {"count"}, server.port(), {}, version)["failed_count"], 2);
  EXPECT_EQ(q.retry_all_failed(), 2);  // "x" and "z"
  ASSERT_EQ(q.length("jobs"), 3);

  // A Ruby worker performs what we requeued, as Ruby's own requeue would have it.
  EXPECT_EQ(ruby_ok("work_once.rb", {"jobs"}, server.port(), {}, version)["processed"], 3);
  std::vector<Json> args;
  for (const auto& p : ruby_performed(c)) args.push_back(p["args"]);
  // 3 failed attempts, then x, x, z.
  ASSERT_EQ(args.size(), 6u);
  EXPECT_EQ(std::vector<Json>(args.begin() + 3, args.end()),
            (std::vector<Json>{{"x"}, {"x"}, {"z"}}));
  q.clear_failed();
  EXPECT_EQ(ruby_ok("failure_op.rb", {"count"}, server.port(), {}, version)["failed_count"], 0);
}

}  // namespace

// ---- enqueue and perform, both ways --------------------------------------------------------

TEST(RubyQueue, CppEnqueueRubyWorkerPerforms) {
  RESQUE_REQUIRE_RUBY();
  cpp_enqueue_ruby_performs(RubyResque::v3_0);
}

TEST(RubyQueue, CppEnqueueRuby27WorkerPerforms) {
  RESQUE_REQUIRE_RUBY();
  cpp_enqueue_ruby_performs(RubyResque::v2_7);
}

TEST(RubyQueue, RubyEnqueueCppWorkerPerforms) {
  RESQUE_REQUIRE_RUBY();
  ruby_enqueue_cpp_performs(RubyResque::v3_0);
}

TEST(RubyQueue, Ruby27EnqueueCppWorkerPerforms) {
  RESQUE_REQUIRE_RUBY();
  ruby_enqueue_cpp_performs(RubyResque::v2_7);
}

// ---- failures, both ways -------------------------------------------------------------------

TEST(RubyQueue, RubyRequeuesAndRemovesCppFailures) {
  RESQUE_REQUIRE_RUBY();
  ruby_manages_cpp_failures(RubyResque::v3_0);
}

TEST(RubyQueue, Ruby27RequeuesAndRemovesCppFailures) {
  RESQUE_REQUIRE_RUBY();
  ruby_manages_cpp_failures(RubyResque::v2_7);
}

TEST(RubyQueue, CppRequeuesAndRemovesRubyFailures) {
  RESQUE_REQUIRE_RUBY();
  cpp_manages_ruby_failures(RubyResque::v3_0);
}

TEST(RubyQueue, CppRequeuesAndRemovesRuby27Failures) {
  RESQUE_REQUIRE_RUBY();
  cpp_manages_ruby_failures(RubyResque::v2_7);
}

// ---- Ruby's dequeue ------------------------------------------------------------------------

// Resque.dequeue(Klass) without args compares the decoded class: finds our jobs today.
TEST(RubyQueue, RubyDequeueByClassRemovesCppJobs) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Queue q(server.options());
  ASSERT_TRUE(q.enqueue("interop", "InteropJob", {42, "a@b.pt"}));
  ASSERT_TRUE(q.enqueue("interop", "InteropJob", {43}));
  ASSERT_TRUE(q.enqueue("interop", "OtherJob", {42, "a@b.pt"}));
  EXPECT_EQ(ruby_ok("dequeue.rb", {"interop", "InteropJob"}, server.port())["removed"], 2);
  const auto left = q.queued("interop");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].klass, "OtherJob");
}

// issue 11 row: `Resque.dequeue(Klass, *args)` LREMs its exact bytes {"class","args"}: it finds a
// job C++ enqueued because the default `ruby` dialect writes those bytes.
TEST(RubyQueue, RubyDequeueWithArgsRemovesCppJob) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Queue q(server.options());
  ASSERT_TRUE(q.enqueue("interop", "InteropJob", {42, "a@b.pt"}));
  ASSERT_TRUE(q.enqueue("interop", "InteropJob", {43}));
  EXPECT_EQ(ruby_ok("dequeue.rb", {"interop", "InteropJob", R"([42,"a@b.pt"])"},
                    server.port())["removed"],
            1);
  const auto left = q.queued("interop");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].args, Json::array({43}));
}

// Our del() matches the bytes the peers write without reading the queue: a job Ruby enqueued
// must be found by its value whatever the arguments hold (floats Ruby writes as 1.0e-07,
// escapes, nested hashes, bignums), and only that job.
TEST(RubyQueue, CppDelRemovesRubyJobsByRubysBytes) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Queue q(server.options());
  const std::vector<std::string> all = {
      R"([42,"a@b.pt"])",
      R"([2.5,-0.125,1e-7,1.0,100.0,1e20])",
      R"(["caf\u00e9 \ud83d\ude00 a/b \"q\" <&>",{"k":[1,{"z":null}],"a":true}])",
      R"([18446744073709551615,-9223372036854775808,[],{}])",
  };
  for (const auto& args : all) {
    ruby_ok("enqueue.rb", {"rq", "InteropJob", args}, server.port());
    ruby_ok("enqueue.rb", {"rq", "InteropJob", args}, server.port());
  }
  ruby_ok("enqueue.rb", {"rq", "InteropJob", "[43]"}, server.port());
  for (const auto& args : all) EXPECT_EQ(q.del("rq", "InteropJob", decode_json(args)), 2) << args;
  const auto left = q.queued("rq");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].args, Json::array({43}));
}

// ---- numbers -------------------------------------------------------------------------------

// Integers and fractions go through Ruby unchanged today.
TEST(RubyQueue, IntegersAndFractionsReachRubyUnchanged) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  ASSERT_TRUE(q.enqueue("nums", "InteropJob",
                        decode_json("[0,-1,9223372036854775807,-9223372036854775808,"
                                    "18446744073709551615,2.5,-0.125,1e-7]")));
  ruby_ok("work_once.rb", {"nums"}, server.port());
  const auto raw = ruby_performed_raw(c);
  ASSERT_EQ(raw.size(), 1u);
  // Ruby's JSON.generate of what it received: Integers stay Integers (no ".0"), Floats Floats.
  EXPECT_NE(raw[0].find(R"("args":[0,-1,9223372036854775807,-9223372036854775808,)"
                        R"(18446744073709551615,2.5,-0.125,1.0e-07])"),
            std::string::npos)
      << raw[0];
}

// issue 11 row: C++ enqueues [1.0, -0.0, 100.0]; a Ruby job receives Floats, not Integers (the
// `ruby` dialect writes whole floats as Ruby does, `1.0`, where JavaScript writes `1`).
TEST(RubyQueue, WholeFloatsStayFloatsForRuby) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  ASSERT_TRUE(q.enqueue("nums", "InteropJob", Json::array({1.0, -0.0, 100.0, 1e20})));
  ruby_ok("work_once.rb", {"nums"}, server.port());
  const auto raw = ruby_performed_raw(c);
  ASSERT_EQ(raw.size(), 1u);
  // Floats in Ruby are written with a fraction part: x / 2 does not truncate.
  EXPECT_NE(raw[0].find(R"("args":[1.0,-0.0,100.0,1.0e+20])"), std::string::npos) << raw[0];
}

// issue 11 row: Ruby enqueues 18446744073709551621 or 2**70; a C++ job never receives a double
// 1.8446744073709552e+19: a typed job fails naming the argument, the failure keeps the bytes.
TEST(RubyQueue, RubyBignumIsNeverSilentlyADouble) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  ruby_ok("enqueue.rb", {"big", "BigJob", "[18446744073709551621]"}, server.port());
  ruby_ok("enqueue.rb", {"big", "BigJob", "[1180591620717411303424]"}, server.port());
  auto performed = std::make_shared<Seen>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("BigJob", [performed](double x) { performed->add(x); });
  Worker w(server.options(), reg, fast({"big"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  w.stop();
  EXPECT_EQ(performed->all().size(), 0u) << Json(performed->all()).dump();
  const auto failed = q.failed();
  ASSERT_EQ(failed.size(), 2u);
  for (const auto& f : failed) {
    EXPECT_NE(f.entry["error"].get<std::string>().find("argument 1"), std::string::npos) << f.raw;
  }
  // The failure records keep Ruby's exact integers.
  EXPECT_NE(failed[0].raw.find("[18446744073709551621]"), std::string::npos) << failed[0].raw;
  EXPECT_NE(failed[1].raw.find("[1180591620717411303424]"), std::string::npos) << failed[1].raw;
}

// Every JSON value kind Ruby writes reaches a C++ job as that kind: Ruby's Floats (1.0, -0.0,
// 1.0e+20) as doubles, Integers as integers.
TEST(RubyQueue, RubyValueKindsReachCppUnchanged) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  auto seen = std::make_shared<Seen>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("KindsJob", [seen](const Job& job) { seen->add(job.args); });
  ruby_ok("enqueue.rb",
          {"kinds", "KindsJob",
           R"([1.0,-0.0,100.0,2.5,1.0e+20,0,-1,9223372036854775807,"s",true,false,null,)"
           R"([1,[2.0]],{"k":{"n":null}}])"},
          server.port());
  Worker w(server.options(), reg, fast({"kinds"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  w.stop();
  const auto got = seen->all();
  ASSERT_EQ(got.size(), 1u);
  const Json& a = got[0];
  ASSERT_EQ(a.size(), 14u) << a.dump();
  for (int i : {0, 1, 2, 3, 4}) EXPECT_TRUE(a[i].is_number_float()) << i << ": " << a.dump();
  EXPECT_EQ(a[0].get<double>(), 1.0);
  EXPECT_TRUE(std::signbit(a[1].get<double>())) << "-0.0 lost its sign: " << a.dump();
  EXPECT_EQ(a[4].get<double>(), 1e20);
  for (int i : {5, 6, 7}) EXPECT_TRUE(a[i].is_number_integer()) << i << ": " << a.dump();
  EXPECT_EQ(a[7].get<std::int64_t>(), 9223372036854775807LL);
  EXPECT_TRUE(a[8].is_string());
  EXPECT_TRUE(a[9].is_boolean());
  EXPECT_TRUE(a[11].is_null());
  EXPECT_TRUE(a[12][1][0].is_number_float());
  EXPECT_TRUE(a[13]["k"]["n"].is_null());
}

// Numbers are never changed by re-encoding: a Ruby job with Floats and an integer beyond 64 bits
// fails in C++, Ruby requeues it, a Ruby worker performs it and receives exactly what was
// enqueued (the failure record keeps the payload's bytes).
TEST(RubyQueue, RubyNumbersSurviveACppFailureAndRubysRequeue) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("InteropJob", [](const Job&) { throw std::runtime_error("not here"); });
  ruby_ok("enqueue.rb", {"nums", "InteropJob", "[1.0,-0.0,100.0,18446744073709551621]"},
          server.port());
  {
    Worker w(server.options(), reg, fast({"nums"}));
    w.start();
    ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
    w.stop();
  }
  ASSERT_EQ(q.failed_count(), 1);
  const std::string raw = q.failed()[0].raw;
  EXPECT_NE(raw.find("[1.0,-0.0,100.0,18446744073709551621]"), std::string::npos) << raw;
  ruby_ok("failure_op.rb", {"requeue", "0"}, server.port());
  ruby_ok("work_once.rb", {"nums"}, server.port());
  const auto performed = ruby_performed_raw(c);
  ASSERT_EQ(performed.size(), 1u);
  EXPECT_NE(performed[0].find(R"("args":[1.0,-0.0,100.0,18446744073709551621])"), std::string::npos)
      << performed[0];
}
