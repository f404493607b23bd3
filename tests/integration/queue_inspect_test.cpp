// Queue inspection against a real Redis, on data written in Ruby's, node's, cjson's and our
// own bytes.
#include <gtest/gtest.h>

#include "queue_test_util.hpp"
#include "redis_server.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"

using namespace resque;
using resque::test::load_fixture;
using resque::test::RedisServer;
using resque::test::restore;
using std::chrono::milliseconds;
using std::chrono::system_clock;

namespace {
const Json kArgs = Json::array({42, "a@b.pt"});
system_clock::time_point at_s(long long s) {
  return system_clock::time_point(std::chrono::seconds(s));
}
}  // namespace

TEST(QueueInspect, QueuesAreSortedAndLengthCountsJobs) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SADD", "resque:queues", "zeta", "alpha", "mid"});
  c.command({"RPUSH", "resque:queue:mid", "a", "b", "c"});
  Queue q(server.options());
  EXPECT_EQ(q.queues(), (std::vector<std::string>{"alpha", "mid", "zeta"}));
  EXPECT_EQ(q.length("mid"), 3);
  EXPECT_EQ(q.length("zeta"), 0);
  EXPECT_THROW(q.length(""), ConfigError);
}

TEST(QueueInspect, QueuedDecodesEveryDialect) {
  RedisServer server;
  Connection c(server.options());
  const std::vector<std::string> raw = {
      R"({"class":"ExportJob","args":[42,"a@b.pt"]})",                // Ruby
      R"({"class":"ExportJob","queue":"q","args":[42,"a@b.pt"]})",    // node / us
      R"({"class":"X","args":{}})",                                   // cjson: [] as {}
      R"({"args":["a\/b"],"class":"X"})",                             // cjson escaping
      R"({"class":"Y","args":[1],"jid":"abc","enqueued_at":1.5e9})",  // extra fields
      "not json at all",                                              //
  };
  for (const auto& r : raw) c.command({"RPUSH", "resque:queue:q", r});
  Queue q(server.options());
  const auto jobs = q.queued("q");
  ASSERT_EQ(jobs.size(), raw.size());
  EXPECT_EQ(jobs[0], (Job{"ExportJob", "q", kArgs, Json::object()}));  // queue filled in
  EXPECT_EQ(jobs[1], (Job{"ExportJob", "q", kArgs, Json::object()}));
  EXPECT_EQ(jobs[2].klass, "X");
  EXPECT_EQ(jobs[2].args, Json::array());
  EXPECT_EQ(jobs[3].args, Json::array({"a/b"}));
  EXPECT_EQ(jobs[4].extra["jid"], "abc");
  EXPECT_EQ(jobs[4].extra["enqueued_at"], 1.5e9);
  EXPECT_EQ(jobs[5].klass, "");
  EXPECT_EQ(jobs[5].extra["raw"], "not json at all");
  // LRANGE semantics.
  const auto middle = q.queued("q", 1, 2);
  ASSERT_EQ(middle.size(), 2u);
  EXPECT_EQ(middle[1].klass, "X");
  EXPECT_EQ(q.queued("q", -1, -1).size(), 1u);
  EXPECT_TRUE(q.queued("empty").empty());
}

TEST(QueueInspect, TimestampsAreNumericAndAscending) {
  RedisServer server;
  Queue q(server.options());
  // As strings "1000000000" < "1900000000" < "999999999"; node's sort would get this wrong.
  q.enqueue_at(at_s(1900000000), "q", "Job");
  q.enqueue_at(at_s(999999999), "q", "Job");
  q.enqueue_at(at_s(1000000000), "q", "Job");
  q.enqueue_at(at_s(1000000000), "q", "Other");
  EXPECT_EQ(q.timestamps(), (std::vector<std::int64_t>{999999999, 1000000000, 1900000000}));
}

TEST(QueueInspect, DelayedAtAndAllDelayedReadBothEncodings) {
  RedisServer server;
  Connection c(server.options());
  restore(c, load_fixture("ruby/02-enqueue-at.json"));  // Ruby's {"class","args","queue"}
  Queue q(server.options());
  q.enqueue_at(at_s(1900000000), "exports", "ExportJob", Json::array({7}));
  q.enqueue_at(at_s(1900000500), "other", "OtherJob");
  // A schedule entry whose list is gone (node's delDelayed leaves these) holds no jobs.
  c.command({"ZADD", "resque:delayed_queue_schedule", "1800000000", "1800000000"});
  const auto at = q.delayed_at(1900000000);
  ASSERT_EQ(at.size(), 2u);
  EXPECT_EQ(at[0], (Job{"ExportJob", "exports", kArgs, Json::object()}));
  EXPECT_EQ(at[1], (Job{"ExportJob", "exports", Json::array({7}), Json::object()}));
  EXPECT_TRUE(q.delayed_at(1800000000).empty());
  const auto all = q.all_delayed();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.at(1900000000), at);
  EXPECT_EQ(all.at(1900000500).at(0).klass, "OtherJob");
}

TEST(QueueInspect, ScheduledAtLooksUpNodeAndRubyEncodings) {
  RedisServer server;
  Connection c(server.options());
  restore(c, load_fixture("ruby/02-enqueue-at.json"));
  Queue q(server.options());
  q.enqueue_at(at_s(1900000100), "exports", "ExportJob", kArgs);
  EXPECT_EQ(q.scheduled_at("exports", "ExportJob", kArgs),
            (std::vector<std::int64_t>{1900000000, 1900000100}));
  EXPECT_TRUE(q.scheduled_at("exports", "ExportJob", Json::array({42})).empty());
  EXPECT_TRUE(q.scheduled_at("elsewhere", "ExportJob", kArgs).empty());
  EXPECT_THROW(q.scheduled_at("", "ExportJob", kArgs), ConfigError);
}

TEST(QueueInspect, LocksAreListedWithoutTheNamespace) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SET", R"(resque:lock:ExportJob:exports:[42,"a@b.pt"])", "1795851781"});
  c.command({"SET", R"(resque:workerslock:ExportJob:exports:[42,"a@b.pt"])", "1795851782"});
  c.command({"SET", "resque:lockless", "x"});
  c.command({"SET", "resque:stat:processed", "1"});
  c.command({"SET", "myapp:lock:Other:q:[]", "5"});
  Queue q(server.options());
  EXPECT_EQ(q.locks(), (std::map<std::string, std::string>{
                           {R"(lock:ExportJob:exports:[42,"a@b.pt"])", "1795851781"},
                           {R"(workerslock:ExportJob:exports:[42,"a@b.pt"])", "1795851782"}}));
  auto opts = server.options();
  opts.key_namespace = "myapp";
  Queue mine(opts);
  EXPECT_EQ(mine.locks(), (std::map<std::string, std::string>{{"lock:Other:q:[]", "5"}}));
}

TEST(QueueInspect, NamespaceGlobCharactersAreEscaped) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SET", "app[1]:lock:a", "1"});
  c.command({"SET", "app1:lock:b", "2"});  // would match an unescaped "app[1]:lock:*"
  c.command({"SET", "app[1]:stat:processed", "4"});
  c.command({"SET", "app1:stat:processed", "9"});
  auto opts = server.options();
  opts.key_namespace = "app[1]";
  Queue q(opts);
  EXPECT_EQ(q.locks(), (std::map<std::string, std::string>{{"lock:a", "1"}}));
  EXPECT_EQ(q.stats(), (std::map<std::string, long long>{{"processed", 4}}));
}

TEST(QueueInspect, StatsReadEveryCounter) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SET", "resque:stat:processed", "12"});
  c.command({"SET", "resque:stat:failed", "3"});
  c.command({"SET", "resque:stat:processed:vm:14907:exports", "5"});
  c.command({"SET", "resque:stat:failed:vm:10049", "1"});
  c.command({"SET", "resque:statistics", "nope"});
  Queue q(server.options());
  EXPECT_EQ(q.stats(), (std::map<std::string, long long>{{"failed", 3},
                                                         {"failed:vm:10049", 1},
                                                         {"processed", 12},
                                                         {"processed:vm:14907:exports", 5}}));
}

TEST(QueueInspect, WorkersParseRubyNodeAndCustomIds) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SADD", "resque:workers", "vm:14907:exports", "vm:10049+2:high,low", "reporter:q1",
             "host:12:*"});
  Queue q(server.options());
  const auto ws = q.workers();
  ASSERT_EQ(ws.size(), 4u);
  // Sorted by id.
  EXPECT_EQ(ws[0].id, "host:12:*");
  EXPECT_EQ(ws[0].queues, std::vector<std::string>{"*"});
  EXPECT_EQ(ws[1].id, "reporter:q1");
  EXPECT_EQ(ws[1].name, "reporter");
  EXPECT_EQ(ws[1].queues, std::vector<std::string>{"q1"});
  EXPECT_EQ(ws[2].id, "vm:10049+2:high,low");
  EXPECT_EQ(ws[2].name, "vm:10049+2");
  EXPECT_EQ(ws[2].host, "vm");
  EXPECT_EQ(ws[2].pid, "10049+2");
  EXPECT_EQ(ws[2].queues, (std::vector<std::string>{"high", "low"}));
  EXPECT_EQ(ws[3].name, "vm:14907");
  EXPECT_EQ(ws[3].pid, "14907");
  EXPECT_EQ(ws[3].queues, std::vector<std::string>{"exports"});
}

TEST(QueueInspect, WorkingOnReadsRubyAndNodeStatuses) {
  RedisServer server;
  Connection c(server.options());
  restore(c, load_fixture("ruby/07-worker-working.json"));
  restore(c, load_fixture("node/04_worker_mid_job.json"));
  c.command({"SADD", "resque:workers", "vm:1:idle"});
  c.command({"SET", "resque:worker:vm:2:odd", "not json"});
  Queue q(server.options());
  const auto ruby = q.working_on("vm:14907:exports");
  ASSERT_TRUE(ruby);
  EXPECT_EQ((*ruby)["queue"], "exports");
  EXPECT_EQ((*ruby)["run_at"], "2026-11-28T06:46:50Z");
  EXPECT_EQ((*ruby)["payload"]["class"], "SlowJob");
  const auto node = q.working_on("vm:10049:exports");
  ASSERT_TRUE(node);
  EXPECT_EQ((*node)["worker"], "vm:10049");
  EXPECT_EQ((*node)["payload"]["args"], kArgs);
  EXPECT_FALSE(q.working_on("vm:1:idle"));
  EXPECT_EQ(q.working_on("vm:2:odd"), Json("not json"));
  EXPECT_THROW(q.working_on(""), ConfigError);

  const auto all = q.all_working_on();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.at("vm:14907:exports"), *ruby);
  EXPECT_EQ(all.at("vm:10049:exports"), *node);
  EXPECT_EQ(all.at("vm:1:idle"), "started");
}
