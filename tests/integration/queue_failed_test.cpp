// The failed list against a real Redis: Ruby's and node's entries, Ruby's requeue (fixture
// 04 -> 05), node's retryAndRemoveFailed, removal by index and by bytes.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "protocol/queue_scripts.hpp"
#include "queue_test_util.hpp"
#include "redis_server.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"

using namespace resque;
using resque::test::dump;
using resque::test::error_of;
using resque::test::load_fixture;
using resque::test::PlainJson;
using resque::test::RedisServer;
using resque::test::restore;

namespace {

const std::regex kRubyTime(R"(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \S+)");

std::string fixture_failed_entry(const std::string& file) {
  return load_fixture(file)["resque:failed"]["value"][0].get<std::string>();
}

std::vector<std::string> list(Connection& c, const std::string& key) {
  return c.command({"LRANGE", key, "0", "-1"}).strings();
}

// The entry's "retried_at", checked to have Ruby 3.0's format.
std::string retried_at_of(const std::string& raw) {
  const auto entry = PlainJson::parse(raw);
  EXPECT_TRUE(entry.contains("retried_at")) << raw;
  if (!entry.contains("retried_at")) return "";
  const std::string at = entry["retried_at"];
  EXPECT_TRUE(std::regex_match(at, kRubyTime)) << at;
  return at;
}

}  // namespace

TEST(QueueFailed, RetryFailedOnRubyEntryGivesFixture05) {
  RedisServer server;
  Connection c(server.options());
  restore(c, load_fixture("ruby/04-failed-job.json"));
  const std::string before = fixture_failed_entry("ruby/04-failed-job.json");
  Queue q(server.options());
  q.retry_failed(0);

  const auto after = list(c, "resque:failed");
  ASSERT_EQ(after.size(), 1u);  // the entry stays
  const std::string at = retried_at_of(after[0]);
  // Every byte Ruby wrote is kept; retried_at is appended as Ruby appends it.
  EXPECT_EQ(after[0], before.substr(0, before.size() - 1) + R"(,"retried_at":")" + at + "\"}");
  // Fixture 05, whatever the moment of the retry.
  const auto fixture05 = load_fixture("ruby/05-failure-requeued.json");
  std::string expected05 = fixture05["resque:failed"]["value"][0];
  expected05 = std::regex_replace(expected05, std::regex(R"("retried_at":"[^"]*")"),
                                  "\"retried_at\":\"" + at + "\"");
  EXPECT_EQ(after[0], expected05);
  // The job is queued with the fixture's bytes (the default Ruby dialect writes Ruby's).
  const auto queued = list(c, "resque:queue:exports");
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0], R"({"class":"FailingJob","args":[42,"a@b.pt"]})");
  EXPECT_EQ(queued[0], fixture05["resque:queue:exports"]["value"][0]);
  const auto ours = PlainJson::parse(queued[0]);
  const auto theirs = fixture05["resque:queue:exports"]["decoded"][0];
  EXPECT_EQ(ours["class"], theirs["class"]);
  EXPECT_EQ(ours["args"], theirs["args"]);
  // The same keys as fixture 05.
  PlainJson keys05 = PlainJson::array(), keys_now = PlainJson::array();
  for (auto& [k, v] : fixture05.items()) keys05.push_back(k);
  const auto now = dump(c);
  for (auto& [k, v] : now.items()) keys_now.push_back(k);
  EXPECT_EQ(keys_now, keys05);
  EXPECT_EQ(q.queues(), std::vector<std::string>{"exports"});
}

TEST(QueueFailed, RetryingAgainReplacesRetriedAtInPlace) {
  RedisServer server;
  Connection c(server.options());
  const std::string entry05 = fixture_failed_entry("ruby/05-failure-requeued.json");
  c.command({"RPUSH", "resque:failed", entry05});
  Queue q(server.options());
  q.retry_failed(0);
  const auto after = list(c, "resque:failed");
  ASSERT_EQ(after.size(), 1u);
  const std::string at = retried_at_of(after[0]);
  EXPECT_EQ(after[0], std::regex_replace(entry05, std::regex(R"("retried_at":"[^"]*")"),
                                         "\"retried_at\":\"" + at + "\""));
  EXPECT_EQ(q.length("exports"), 1);
}

TEST(QueueFailed, RetryFailedOnNodeEntry) {
  RedisServer server;
  Connection c(server.options());
  const std::string node = fixture_failed_entry("node/03_failure.json");
  c.command({"RPUSH", "resque:failed", node});
  Queue q(server.options());
  q.retry_failed(-1);
  const auto after = list(c, "resque:failed");
  ASSERT_EQ(after.size(), 1u);
  const std::string at = retried_at_of(after[0]);
  EXPECT_EQ(after[0], node.substr(0, node.size() - 1) + R"(,"retried_at":")" + at + "\"}");
  EXPECT_EQ(list(c, "resque:queue:exports"),
            std::vector<std::string>{R"({"class":"ExportJob","args":[42,"a@b.pt"]})"});
  // In the node dialect the requeued job is node's bytes.
  ConnectionOptions node_options = server.options();
  node_options.dialect = Dialect::node;
  Queue node_q(node_options);
  node_q.retry_failed(0);
  EXPECT_EQ(list(c, "resque:queue:exports").back(),
            R"({"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})");
}

// Requeueing keeps every number as it was: whole floats stay floats (Ruby dialect), and an
// integer beyond 64 bits keeps its digits.
TEST(QueueFailed, RetryKeepsNumbersExact) {
  RedisServer server;
  Connection c(server.options());
  const std::string entry =
      R"({"failed_at":"2026/11/28 06:46:46 UTC","payload":{"class":"Big","args":)"
      R"([18446744073709551621,-1180591620717411303424,1.0,1.0e+20,-0.0]},)"
      R"("exception":"ArgumentError","error":"x","backtrace":[],"worker":"h:1:q","queue":"q"})";
  c.command({"RPUSH", "resque:failed", entry});
  Queue q(server.options());
  q.retry_failed(0);
  EXPECT_EQ(list(c, "resque:queue:q"),
            std::vector<std::string>{R"({"class":"Big","args":[18446744073709551621,)"
                                     R"(-1180591620717411303424,1.0,1.0e+20,-0.0]})"});
  q.retry_and_remove_failed(q.failed()[0]);
  EXPECT_EQ(list(c, "resque:queue:q").back(), list(c, "resque:queue:q").front());
}

TEST(QueueFailed, RetryFailedRefusesWhatItCannotRequeue) {
  RedisServer server;
  Connection c(server.options());
  c.command({"RPUSH", "resque:failed", "not json",
             R"({"payload":{"class":"J","args":[]},"exception":"E"})",      // no queue
             R"({"payload":{"args":[]},"queue":"q"})",                      // no class
             R"({"payload":{"class":"J","args":{}},"queue":"q","x":1})"});  // cjson args
  Queue q(server.options());
  EXPECT_THROW(q.retry_failed(7), JobError);
  EXPECT_NE(error_of([&] { q.retry_failed(7); }).find("no failed entry at index 7"),
            std::string::npos);
  EXPECT_THROW(q.retry_failed(0), JobError);
  EXPECT_THROW(q.retry_failed(1), JobError);
  EXPECT_THROW(q.retry_failed(2), JobError);
  EXPECT_TRUE(q.queues().empty());
  q.retry_failed(3);
  EXPECT_EQ(list(c, "resque:queue:q"), std::vector<std::string>{R"({"class":"J","args":[]})"});
}

TEST(QueueFailed, FailedListsEntriesWithTheirIndexes) {
  RedisServer server;
  Connection c(server.options());
  const std::string ruby = fixture_failed_entry("ruby/04-failed-job.json");
  const std::string node = fixture_failed_entry("node/03_failure.json");
  c.command({"RPUSH", "resque:failed", ruby, "not json", node});
  Queue q(server.options());
  EXPECT_EQ(q.failed_count(), 3);
  const auto all = q.failed();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].index, 0);
  EXPECT_EQ(all[0].raw, ruby);
  EXPECT_EQ(all[0].entry["exception"], "RuntimeError");
  EXPECT_EQ(all[1].raw, "not json");
  EXPECT_TRUE(all[1].entry.is_null());
  EXPECT_EQ(all[2].entry["payload"]["class"], "ExportJob");
  const auto tail = q.failed(-2, -1);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].index, 1);
  EXPECT_EQ(tail[1].index, 2);
  EXPECT_EQ(tail[1].raw, node);
  const auto mid = q.failed(1, 1);
  ASSERT_EQ(mid.size(), 1u);
  EXPECT_EQ(mid[0].index, 1);
  EXPECT_TRUE(q.failed(5, 9).empty());
  EXPECT_EQ(q.failed(-10, 0).at(0).index, 0);
}

TEST(QueueFailed, RemoveFailedByIndexRemovesExactlyThatEntry) {
  RedisServer server;
  Connection c(server.options());
  // "" is what a Ruby Failure.remove in progress leaves (LSET ""; LREM 1 ""): our removal
  // must not take it instead of the entry asked for.
  c.command({"RPUSH", "resque:failed", "a", "", "b", "c", "d"});
  Queue q(server.options());
  EXPECT_TRUE(q.remove_failed(2));
  EXPECT_EQ(list(c, "resque:failed"), (std::vector<std::string>{"a", "", "c", "d"}));
  EXPECT_TRUE(q.remove_failed(-1));
  EXPECT_EQ(list(c, "resque:failed"), (std::vector<std::string>{"a", "", "c"}));
  EXPECT_FALSE(q.remove_failed(3));
  EXPECT_FALSE(q.remove_failed(-4));
  EXPECT_EQ(q.failed_count(), 3);
}

TEST(QueueFailed, ConcurrentRemovalsByIndexEachTakeOneEntry) {
  RedisServer server;
  Connection c(server.options());
  std::vector<std::string> entries;
  for (int i = 0; i < 400; ++i) entries.push_back("e" + std::to_string(i));
  std::vector<std::string_view> argv{"RPUSH", "resque:failed"};
  argv.insert(argv.end(), entries.begin(), entries.end());
  c.command(argv);
  Queue q(server.options());
  // 8 threads each remove the last entry 25 times: exactly the last 200 must go.
  std::vector<std::thread> threads;
  std::atomic<int> removed{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) removed += q.remove_failed(-1) ? 1 : 0;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(removed.load(), 200);
  EXPECT_EQ(list(c, "resque:failed"),
            std::vector<std::string>(entries.begin(), entries.begin() + 200));
}

TEST(QueueFailed, RemoveFailedByEntryUsesTheStoredBytes) {
  RedisServer server;
  Connection c(server.options());
  const std::string ruby = fixture_failed_entry("ruby/04-failed-job.json");
  c.command({"RPUSH", "resque:failed", ruby, "x", ruby});
  Queue q(server.options());
  const auto all = q.failed();
  EXPECT_TRUE(q.remove_failed(all[2]));
  EXPECT_EQ(list(c, "resque:failed"), (std::vector<std::string>{"x", ruby}));
  EXPECT_TRUE(q.remove_failed(all[1]));
  EXPECT_FALSE(q.remove_failed(all[1]));
  EXPECT_EQ(list(c, "resque:failed"), std::vector<std::string>{ruby});
}

TEST(QueueFailed, RetryAndRemoveFailedMovesTheJobBack) {
  RedisServer server;
  Connection c(server.options());
  const std::string ruby = fixture_failed_entry("ruby/04-failed-job.json");
  const std::string node = fixture_failed_entry("node/03_failure.json");
  c.command({"RPUSH", "resque:failed", ruby, node, "garbage"});
  Queue q(server.options());
  const auto all = q.failed();
  q.retry_and_remove_failed(all[1]);
  q.retry_and_remove_failed(all[0]);
  EXPECT_EQ(list(c, "resque:failed"), std::vector<std::string>{"garbage"});
  EXPECT_EQ(list(c, "resque:queue:exports"),
            (std::vector<std::string>{R"({"class":"ExportJob","args":[42,"a@b.pt"]})",
                                      R"({"class":"FailingJob","args":[42,"a@b.pt"]})"}));
  // Gone already: node's error, and nothing enqueued.
  EXPECT_THROW(q.retry_and_remove_failed(all[0]), JobError);
  EXPECT_EQ(error_of([&] { q.retry_and_remove_failed(all[0]); }),
            "This job is not in failed queue");
  EXPECT_EQ(q.length("exports"), 2);
  // An entry naming no job cannot be retried (and stays).
  EXPECT_THROW(q.retry_and_remove_failed(all[2]), JobError);
  EXPECT_EQ(q.failed_count(), 1);
}

TEST(QueueFailed, RetryAllFailedRequeuesEveryReadableEntry) {
  RedisServer server;
  Connection c(server.options());
  const std::string ruby = fixture_failed_entry("ruby/04-failed-job.json");
  const std::string node = fixture_failed_entry("node/03_failure.json");
  c.command({"RPUSH", "resque:failed", ruby, "garbage", node, ruby});
  Queue q(server.options());
  EXPECT_EQ(q.retry_all_failed(), 3);
  const auto after = list(c, "resque:failed");
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[1], "garbage");
  for (std::size_t i : {0u, 2u, 3u}) retried_at_of(after[i]);
  EXPECT_EQ(q.length("exports"), 3);
  EXPECT_EQ(q.queued("exports").at(1).klass, "ExportJob");
  EXPECT_EQ(q.retry_all_failed(), 3);  // entries stay, so they can be requeued again
  EXPECT_EQ(q.length("exports"), 6);
}

TEST(QueueFailed, ClearFailed) {
  RedisServer server;
  Connection c(server.options());
  c.command({"RPUSH", "resque:failed", "a", "b"});
  Queue q(server.options());
  q.clear_failed();
  EXPECT_EQ(q.failed_count(), 0);
  EXPECT_EQ(c.command({"EXISTS", "resque:failed"}).integer(), 0);
}

TEST(QueueFailed, RetryScriptFollowsAnEntryThatMovedAndSkipsOneThatChanged) {
  RedisServer server;
  Connection c(server.options());
  c.command({"RPUSH", "resque:failed", "entry"});
  const Keys keys("resque");
  using protocol::RetryResult;
  // Read at index 1, but an entry before it was removed since: found at 0 by its bytes.
  EXPECT_EQ(protocol::retry_failed(c, keys, {1, "entry", "entry+retried", "q", "payload"}),
            RetryResult::Done);
  EXPECT_EQ(list(c, "resque:failed"), std::vector<std::string>{"entry+retried"});
  EXPECT_EQ(list(c, "resque:queue:q"), std::vector<std::string>{"payload"});
  // Changed since it was read: nothing is written.
  EXPECT_EQ(protocol::retry_failed(c, keys, {0, "entry", "entry+again", "q", "payload"}),
            RetryResult::Changed);
  EXPECT_EQ(list(c, "resque:failed"), std::vector<std::string>{"entry+retried"});
  EXPECT_EQ(list(c, "resque:queue:q").size(), 1u);
}

// The failed-list scripts check the keys they write before their first write: a wrong-typed
// target queue (or queues set) must leave the failed entry exactly as it was, never marked
// retried (retry_failed) or removed (retry_and_remove_failed) with its job not enqueued.
TEST(QueueFailed, RetryIntoAWrongTypedQueueLeavesTheEntryInPlace) {
  RedisServer server;
  Connection c(server.options());
  const std::string ruby = fixture_failed_entry("ruby/04-failed-job.json");
  c.command({"RPUSH", "resque:failed", ruby});
  c.command({"SET", "resque:queue:exports", "garbage"});
  const auto before = dump(c);
  Queue q(server.options());
  EXPECT_NE(error_of([&] { q.retry_failed(0); }).find("resque:queue:exports is a string"),
            std::string::npos);
  EXPECT_EQ(dump(c), before);
  EXPECT_THROW(q.retry_and_remove_failed(q.failed(0, 0).at(0)), ReplyError);
  EXPECT_EQ(dump(c), before);
  EXPECT_THROW(q.retry_all_failed(), ReplyError);
  EXPECT_EQ(dump(c), before);
  // The queues set wrong-typed instead: the same.
  c.command({"DEL", "resque:queue:exports"});
  c.command({"SET", "resque:queues", "garbage"});
  const auto before_set = dump(c);
  EXPECT_THROW(q.retry_failed(0), ReplyError);
  EXPECT_THROW(q.retry_and_remove_failed(q.failed(0, 0).at(0)), ReplyError);
  EXPECT_EQ(dump(c), before_set);
  // Once fixed, the retry goes through.
  c.command({"DEL", "resque:queues"});
  q.retry_and_remove_failed(q.failed(0, 0).at(0));
  EXPECT_EQ(q.failed_count(), 0);
  EXPECT_EQ(q.length("exports"), 1);
}

TEST(QueueFailed, RemoveFailedOnAWrongTypedListFailsCleanly) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SET", "resque:failed", "garbage"});
  Queue q(server.options());
  EXPECT_NE(error_of([&] { q.remove_failed(0); }).find("resque:failed is a string"),
            std::string::npos);
  EXPECT_EQ(c.command({"GET", "resque:failed"}).string(), "garbage");
}

TEST(QueueFailed, WorksAfterScriptFlush) {
  RedisServer server;
  Connection c(server.options());
  const std::string ruby = fixture_failed_entry("ruby/04-failed-job.json");
  c.command({"RPUSH", "resque:failed", ruby, ruby, ruby, ruby});
  Queue q(server.options());
  c.command({"SCRIPT", "FLUSH"});
  q.retry_failed(0);
  c.command({"SCRIPT", "FLUSH"});
  EXPECT_TRUE(q.remove_failed(0));
  c.command({"SCRIPT", "FLUSH"});
  q.retry_and_remove_failed(q.failed(0, 0).at(0));
  c.command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(q.retry_all_failed(), 2);
  EXPECT_EQ(q.length("exports"), 4);
  EXPECT_EQ(q.failed_count(), 2);
}
