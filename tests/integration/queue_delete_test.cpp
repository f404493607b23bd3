// Removing jobs, queues, delayed jobs and locks against a real Redis: the peers' encodings by
// default, every encoding by value on request; removal by the stored bytes.
#include <gtest/gtest.h>

#include <thread>

#include "queue_test_util.hpp"
#include "redis_server.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"

using namespace resque;
using resque::test::error_of;
using resque::test::load_fixture;
using resque::test::RedisServer;
using resque::test::restore;
using std::chrono::system_clock;

namespace {
const Json kArgs = Json::array({42, "a@b.pt"});
Queue::DelOptions by_value(long long count = 0) {
  Queue::DelOptions o;
  o.count = count;
  o.match_by_value = true;
  return o;
}
system_clock::time_point at_s(long long s) {
  return system_clock::time_point(std::chrono::seconds(s));
}
std::vector<std::string> list(Connection& c, const std::string& key) {
  return c.command({"LRANGE", key, "0", "-1"}).strings();
}
}  // namespace

TEST(QueueDelete, DelMatchesByValueWhoeverWroteTheJob) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  const std::vector<std::string> matching = {
      R"({"class":"ExportJob","args":[42,"a@b.pt"]})",              // Ruby
      R"({"args":[42,"a@b.pt"],"class":"ExportJob"})",              // other key order
      R"({"class":"ExportJob","args":[42.0,"a@b.pt"]})",            // Ruby float for 42
      R"({"class":"ExportJob","args":[42,"a@b.pt"],"jid":"x1"})",   // extra field
      R"({"class":"ExportJob","args":[42,"a@b.pt"],"queue":"q"})",  // cjson/scheduler order
  };
  const std::vector<std::string> others = {
      R"({"class":"ExportJob","args":[43,"a@b.pt"]})",
      R"({"class":"OtherJob","args":[42,"a@b.pt"]})",
      R"({"class":"ExportJob","args":[42]})",
      "not json",
  };
  for (std::size_t i = 0; i < 4; ++i) {
    c.command({"RPUSH", "resque:queue:q", matching[i]});
    c.command({"RPUSH", "resque:queue:q", others[i]});
  }
  c.command({"RPUSH", "resque:queue:q", matching[4]});
  q.enqueue("q", "ExportJob", kArgs);  // ours
  EXPECT_EQ(q.del("q", "ExportJob", kArgs, by_value()), 6);
  EXPECT_EQ(list(c, "resque:queue:q"), others);
  EXPECT_EQ(q.del("q", "ExportJob", kArgs, by_value()), 0);
}

TEST(QueueDelete, ByDefaultRemovesTheBytesThePeersWriteAndNothingElse) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  const std::string ruby = R"({"class":"ExportJob","args":[42,"a@b.pt"]})";
  const std::string node = R"({"class":"ExportJob","queue":"q","args":[42,"a@b.pt"]})";
  const std::vector<std::string> kept = {
      R"({"args":[42,"a@b.pt"],"class":"ExportJob"})",             // other key order
      R"({"class":"ExportJob","args":[42.0,"a@b.pt"]})",           // 42.0 for 42
      R"({"class":"ExportJob","args":[42,"a@b.pt"],"jid":"x1"})",  // extra field
      R"({"class":"ExportJob","args":[43,"a@b.pt"]})",             // another job
  };
  for (const auto& e : kept) c.command({"RPUSH", "resque:queue:q", e});
  for (const auto& e : {ruby, node, ruby}) c.command({"RPUSH", "resque:queue:q", e});
  q.enqueue("q", "ExportJob", kArgs);  // ours, in the Queue's dialect
  EXPECT_EQ(q.del("q", "ExportJob", kArgs), 4);
  EXPECT_EQ(list(c, "resque:queue:q"), kept);
  EXPECT_EQ(q.del("q", "ExportJob", kArgs), 0);
  Queue::DelOptions o;
  // With a count: at most that many, node's encoding first.
  for (const auto& e : {ruby, node, ruby}) c.command({"RPUSH", "resque:queue:q", e});
  o.count = 2;
  EXPECT_EQ(q.del("q", "ExportJob", kArgs, o), 2);
  auto left = kept;
  left.push_back(ruby);
  EXPECT_EQ(list(c, "resque:queue:q"), left);
  // match_by_value finds the other encodings too.
  EXPECT_EQ(q.del("q", "ExportJob", kArgs, by_value()), 4);
  EXPECT_EQ(list(c, "resque:queue:q"), std::vector<std::string>{kept.back()});
}

TEST(QueueDelete, DelMatchesCjsonEncodings) {
  RedisServer server;
  Connection c(server.options());
  c.command({"RPUSH", "resque:queue:q", R"({"class":"X","args":{}})"});
  c.command({"RPUSH", "resque:queue:q", R"({"class":"Slash","args":["a\/b"]})"});
  c.command({"RPUSH", "resque:queue:q", R"({"class":"Obj","args":[{"b":2,"a":[]}]})"});
  c.command({"RPUSH", "resque:queue:q", R"({"class":"Obj","args":[{"b":2,"a":{}}]})"});
  c.command({"RPUSH", "resque:queue:q", R"({"class":"X","args":[1]})"});
  Queue q(server.options());
  // The default matches the peers' bytes only: cjson's forms stay.
  EXPECT_EQ(q.del("q", "X", Json::array()), 0);
  EXPECT_EQ(q.del("q", "Slash", Json::array({"a/b"})), 0);
  EXPECT_EQ(q.del("q", "X", Json::array(), by_value()), 1);
  EXPECT_EQ(q.del("q", "Slash", Json::array({"a/b"}), by_value()), 1);
  // Object keys in any order; cjson's {} equals [].
  EXPECT_EQ(q.del("q", "Obj", Json::array({Json{{"a", Json::array()}, {"b", 2}}}), by_value()), 2);
  EXPECT_EQ(list(c, "resque:queue:q"), std::vector<std::string>{R"({"class":"X","args":[1]})"});
  // A non-array argument is the single argument, as on enqueue.
  EXPECT_EQ(q.del("q", "X", 1), 1);
}

TEST(QueueDelete, CountRemovesAtMostThatManyFromTheHead) {
  RedisServer server;
  Connection c(server.options());
  const std::string ruby = R"({"class":"J","args":[1]})";
  const std::string node = R"({"class":"J","queue":"q","args":[1]})";
  const std::string other = R"({"class":"K","args":[1]})";
  for (const auto& e : {ruby, other, node, ruby, node, other})
    c.command({"RPUSH", "resque:queue:q", e});
  Queue q(server.options());
  // By value: the first matches in list order.
  EXPECT_EQ(q.del("q", "J", Json::array({1}), by_value(3)), 3);
  EXPECT_EQ(list(c, "resque:queue:q"), (std::vector<std::string>{other, node, other}));
  EXPECT_EQ(q.del("q", "J", Json::array({1}), by_value(5)), 1);
  EXPECT_EQ(q.del("q", "J", Json::array({1}), by_value(1)), 0);
  // The default: node's encoding first (as node's del with a count), then Ruby's.
  c.command({"DEL", "resque:queue:q"});
  for (const auto& e : {ruby, other, node, ruby, node, other})
    c.command({"RPUSH", "resque:queue:q", e});
  EXPECT_EQ(q.del("q", "J", Json::array({1}), 3), 3);
  EXPECT_EQ(list(c, "resque:queue:q"), (std::vector<std::string>{other, ruby, other}));
  EXPECT_EQ(q.del("q", "J", Json::array({1}), 5), 1);
  EXPECT_EQ(q.del("q", "J", Json::array({1}), 1), 0);
}

TEST(QueueDelete, DelByClassRemovesEveryJobOfTheClass) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  c.command({"RPUSH", "resque:queue:q", R"({"class":"ExportJob","args":[42,"a@b.pt"]})"});
  q.enqueue("q", "ExportJob", Json::array({1}));
  q.enqueue("q", "Keep", Json::array({1}));
  c.command({"RPUSH", "resque:queue:q", R"({"class":"ExportJob","args":{}})"});
  c.command({"RPUSH", "resque:queue:q", "garbage"});
  EXPECT_EQ(q.del_by_class("q", "ExportJob"), 3);
  EXPECT_EQ(list(c, "resque:queue:q"),
            (std::vector<std::string>{R"({"class":"Keep","args":[1]})", "garbage"}));
  EXPECT_EQ(q.del_by_class("q", "ExportJob"), 0);
  EXPECT_EQ(q.del_by_class("missing", "ExportJob"), 0);
}

TEST(QueueDelete, DelRefusesBadInput) {
  RedisServer server;
  Queue q(server.options());
  EXPECT_THROW(q.del("", "J", Json::array()), ConfigError);
  EXPECT_THROW(q.del("q", "", Json::array()), ConfigError);
  EXPECT_THROW(q.del("q", "J", Json::array(), -1), ConfigError);
  EXPECT_THROW(q.del_by_class("q", ""), ConfigError);
  EXPECT_THROW(q.del_queue(""), ConfigError);
  EXPECT_THROW(q.del_delayed("a:b", "J"), ConfigError);
}

TEST(QueueDelete, DelRacingWithWorkersNeverRemovesAnotherJob) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  std::vector<Job> jobs;
  for (int i = 0; i < 3000; ++i)
    jobs.push_back(Job{i % 3 == 0 ? "Drop" : "Keep", "q", Json::array({i % 2}), Json::object()});
  q.enqueue_batch(jobs);
  // A "worker" pops from the head while del runs.
  std::vector<std::string> popped;
  std::thread worker([&] {
    Connection w(server.options());
    for (int i = 0; i < 1000; ++i) {
      auto r = w.command({"LPOP", "resque:queue:q"}).opt_string();
      if (r) popped.push_back(*r);
    }
  });
  const long long removed = q.del_by_class("q", "Drop");
  worker.join();
  long long dropped_popped = 0, kept = 0;
  for (const auto& p : popped) (p.find("Drop") != std::string::npos ? dropped_popped : kept)++;
  for (const auto& job : q.queued("q")) {
    EXPECT_EQ(job.klass, "Keep");
    ++kept;
  }
  EXPECT_EQ(kept, 2000);  // every Keep job was popped or is still queued
  EXPECT_EQ(removed + dropped_popped, 1000);
}

TEST(QueueDelete, DelQueueRemovesListAndMembership) {
  RedisServer server;
  Queue q(server.options());
  q.enqueue("a", "J");
  q.enqueue("b", "J");
  q.del_queue("a");
  EXPECT_EQ(q.queues(), std::vector<std::string>{"b"});
  EXPECT_EQ(q.length("a"), 0);
  EXPECT_EQ(q.length("b"), 1);
  q.del_queue("never-existed");
  EXPECT_EQ(q.queues(), std::vector<std::string>{"b"});
}

TEST(QueueDelete, DelDelayedRemovesBothEncodingsAndEmptiedTimestamps) {
  RedisServer server;
  Connection c(server.options());
  restore(c, load_fixture("ruby/02-enqueue-at.json"));  // Ruby item at 1900000000
  Queue q(server.options());
  // The other items in node's encoding (the node dialect), so both encodings are in play.
  ConnectionOptions node_options = server.options();
  node_options.dialect = Dialect::node;
  Queue node_q(node_options);
  node_q.enqueue_at(at_s(1900000000), "exports", "Keep", kArgs);       // same second, stays
  node_q.enqueue_at(at_s(1900000100), "exports", "ExportJob", kArgs);  // node's, alone in its list
  node_q.enqueue_at(at_s(1900000200), "exports", "ExportJob", Json::array({1}));  // other args
  EXPECT_EQ(q.del_delayed("exports", "ExportJob", kArgs),
            (std::vector<std::int64_t>{1900000000, 1900000100}));
  EXPECT_EQ(q.timestamps(), (std::vector<std::int64_t>{1900000000, 1900000200}));
  EXPECT_EQ(list(c, "resque:delayed:1900000000"),
            std::vector<std::string>{R"({"class":"Keep","queue":"exports","args":[42,"a@b.pt"]})"});
  EXPECT_EQ(c.command({"EXISTS", "resque:delayed:1900000100"}).integer(), 0);
  EXPECT_EQ(
      c.command(
           {"EXISTS",
            R"(resque:timestamps:{"class":"ExportJob","args":[42,"a@b.pt"],"queue":"exports"})",
            R"(resque:timestamps:{"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})"})
          .integer(),
      0);
  EXPECT_TRUE(q.scheduled_at("exports", "ExportJob", kArgs).empty());
  EXPECT_EQ(q.scheduled_at("exports", "Keep", kArgs), std::vector<std::int64_t>{1900000000});
  EXPECT_EQ(q.scheduled_at("exports", "ExportJob", Json::array({1})),
            std::vector<std::int64_t>{1900000200});
  EXPECT_TRUE(q.del_delayed("exports", "ExportJob", kArgs).empty());
}

TEST(QueueDelete, DelQueueWithAWrongTypedQueuesSetKeepsTheList) {
  RedisServer server;
  Connection c(server.options());
  c.command({"RPUSH", "resque:queue:a", "job"});
  c.command({"SET", "resque:queues", "garbage"});
  Queue q(server.options());
  EXPECT_NE(error_of([&] { q.del_queue("a"); }).find("resque:queues is a string"),
            std::string::npos);
  EXPECT_EQ(list(c, "resque:queue:a"), std::vector<std::string>{"job"});
}

TEST(QueueDelete, DelDelayedWithAWrongTypedListRemovesNothing) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  q.enqueue_at(at_s(1900000100), "exports", "ExportJob", kArgs);
  q.enqueue_at(at_s(1900000200), "exports", "ExportJob", kArgs);
  // Someone overwrote one of the two lists the timestamps set names.
  c.command({"DEL", "resque:delayed:1900000200"});
  c.command({"SET", "resque:delayed:1900000200", "garbage"});
  const auto before = resque::test::dump(c);
  EXPECT_NE(error_of([&] {
              q.del_delayed("exports", "ExportJob", kArgs);
            }).find("resque:delayed:1900000200 is a string"),
            std::string::npos);
  EXPECT_EQ(resque::test::dump(c), before);  // the other list and every member are intact
  EXPECT_EQ(q.scheduled_at("exports", "ExportJob", kArgs),
            (std::vector<std::int64_t>{1900000100, 1900000200}));
  // A wrong-typed schedule is refused the same way.
  c.command({"DEL", "resque:delayed:1900000200"});
  c.command({"SET", "resque:delayed_queue_schedule", "garbage"});
  EXPECT_THROW(q.del_delayed("exports", "ExportJob", kArgs), ReplyError);
  EXPECT_EQ(list(c, "resque:delayed:1900000100").size(), 1u);
}

TEST(QueueDelete, DelOnAWrongTypedQueueFailsCleanly) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SET", "resque:queue:a", "garbage"});
  Queue q(server.options());
  EXPECT_THROW(q.del("a", "ExportJob", kArgs), ReplyError);
  EXPECT_EQ(c.command({"GET", "resque:queue:a"}).string(), "garbage");
}

TEST(QueueDelete, DelLockDeletesOnlyLockKeys) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SET", "resque:lock:J:q:[1]", "5"});
  c.command({"SET", "resque:workerslock:J:q:[1]", "6"});
  Queue q(server.options());
  EXPECT_TRUE(q.del_lock("lock:J:q:[1]"));
  EXPECT_FALSE(q.del_lock("lock:J:q:[1]"));
  EXPECT_EQ(q.locks(), (std::map<std::string, std::string>{{"workerslock:J:q:[1]", "6"}}));
  EXPECT_TRUE(q.del_lock("workerslock:J:q:[1]"));
  EXPECT_THROW(q.del_lock("queues"), ConfigError);
  EXPECT_THROW(q.del_lock("resque:lock:J"), ConfigError);
}

TEST(QueueDelete, WorksAfterScriptFlush) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  for (int i = 0; i < 3; ++i) q.enqueue("q", "J", Json::array({i}));
  q.enqueue_at(at_s(1900000000), "q", "J");
  q.del("q", "J", Json::array({0}));  // cache the scripts
  c.command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(q.del("q", "J", Json::array({1})), 1);
  c.command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(q.del_delayed("q", "J"), std::vector<std::int64_t>{1900000000});
  c.command({"SCRIPT", "FLUSH"});
  q.del_queue("q");
  EXPECT_TRUE(q.queues().empty());
}

TEST(QueueDelete, DelOnALongQueueFindsEveryEncodingAcrossPages) {
  // Longer than one page of del_scan.lua (10,000), with matches in every encoding spread over
  // several pages and near-misses that contain the same digits.
  RedisServer server;
  Connection c(server.options());
  c.command({"EVAL", R"(
for i = 1, 25000 do
  redis.call('RPUSH', KEYS[1], '{"class":"ExportJob","queue":"q","args":[' .. i .. ',"a@b.pt"]}')
  if i == 5 then redis.call('RPUSH', KEYS[1], '{"args":[42,"a@b.pt"],"class":"ExportJob"}') end
  if i == 9999 then redis.call('RPUSH', KEYS[1], '{"class":"ExportJob","args":[42,"a@b.pt"]}') end
  if i == 10001 then redis.call('RPUSH', KEYS[1], '{"class":"ExportJob","args":[42.0,"a@b.pt"]}') end
  if i == 24000 then redis.call('RPUSH', KEYS[1], '{"class":"ExportJob","queue":"q","args":[42,"a\/b"]}') end
end)",
             "1", "resque:queue:q"});
  Queue q(server.options());
  q.enqueue("q", "ExportJob", kArgs);
  // 4 copies: three written by others (one of them the Ruby bytes, removed by LREM) and ours;
  // plus the one pushed by the loop at i = 42.
  EXPECT_EQ(q.del("q", "ExportJob", kArgs, by_value()), 5);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 25000);
  EXPECT_EQ(q.del("q", "ExportJob", Json::array({42, "a/b"}), by_value()), 1);
  EXPECT_EQ(q.del("q", "ExportJob", Json::array({420, "a@b.pt"})), 1);
  c.command({"LPUSH", "resque:queue:q", R"({"class":"OtherJob","args":[]})"});
  c.command({"RPUSH", "resque:queue:q", R"({"args":[],"class":"OtherJob"})"});
  EXPECT_EQ(q.del_by_class("q", "OtherJob"), 2);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 24998);
}
