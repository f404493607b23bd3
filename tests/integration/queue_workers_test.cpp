// Worker maintenance against a real Redis: force-cleaning Ruby, node and resque-cpp workers,
// cleaning stuck ones by their status's run_at, and the pause-all-workers switch.
#include <gtest/gtest.h>

#include <regex>

#include "protocol/worker_scripts.hpp"
#include "queue_test_util.hpp"
#include "redis_server.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"
#include "time/timefmt.hpp"

using namespace resque;
using resque::test::dump;
using resque::test::load_fixture;
using resque::test::PlainJson;
using resque::test::RedisServer;
using resque::test::restore;
using std::chrono::system_clock;

namespace {

std::vector<std::string> list(Connection& c, const std::string& key) {
  return c.command({"LRANGE", key, "0", "-1"}).strings();
}

std::vector<std::string> key_names(Connection& c) {
  std::vector<std::string> out;
  const auto d = dump(c);
  for (auto& [k, v] : d.items()) out.push_back(k);
  return out;
}

// A failure record with its failed_at replaced by a placeholder (checked to be Ruby's format).
std::string without_failed_at(const std::string& raw) {
  static const std::regex at(R"re("failed_at":"(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} [^"]+)")re");
  std::smatch m;
  EXPECT_TRUE(std::regex_search(raw, m, at)) << raw;
  return std::regex_replace(raw, at, R"("failed_at":"<T>")");
}

// JavaScript's Date#toString() of a moment, in UTC, as node writes run_at.
std::string js_date(system_clock::time_point tp) {
  const std::time_t t = system_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::strftime(buf, sizeof buf, "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", &tm);
  return buf;
}

}  // namespace

TEST(QueueWorkers, ForceCleanRubyWorkerRecordsDirtyExit) {
  RedisServer server;
  Connection c(server.options());
  restore(c, load_fixture("ruby/07-worker-working.json"));
  const std::string id = "vm:14907:exports";
  c.command({"SET", "resque:stat:failed:" + id, "2"});
  Queue q(server.options());
  const auto record = q.force_clean_worker(id);
  ASSERT_TRUE(record);
  const auto failed = list(c, "resque:failed");
  ASSERT_EQ(failed.size(), 1u);
  // Ruby's record, field for field and in Ruby's order.
  EXPECT_EQ(without_failed_at(failed[0]),
            R"({"failed_at":"<T>","payload":{"class":"SlowJob","args":[3]},)"
            R"("exception":"Resque::DirtyExit",)"
            R"("error":"Worker vm:14907:exports did not gracefully exit while processing SlowJob",)"
            R"("backtrace":[],"worker":"vm:14907:exports","queue":"exports"})");
  EXPECT_EQ(encode_json(*record), failed[0]);
  // Every key of the worker is gone; the rest stays.
  EXPECT_EQ(key_names(c),
            (std::vector<std::string>{"resque:failed", "resque:pruning_dead_workers_in_progress",
                                      "resque:queues", "resque:stat:processed"}));
  // The record can be retried like any failure.
  q.retry_failed(0);
  EXPECT_EQ(q.queued("exports").at(0), (Job{"SlowJob", "exports", Json::array({3}), {}}));
}

TEST(QueueWorkers, ForceCleanTakesThePayloadBytesFromTheInflightList) {
  RedisServer server;
  Connection c(server.options());
  const std::string id = "host:77:big";
  // Bytes a re-encoding would change: Ruby's float form, an integer beyond 2^64, an extra field.
  const std::string payload =
      R"({"class":"BigJob","args":[1.0e+20,123456789012345678901],"jid":"z"})";
  c.command({"SADD", "resque:workers", id});
  c.command(
      {"SET", "resque:worker:" + id,
       R"({"queue":"big","run_at":"2026-11-28T06:46:50Z","payload":{"class":"BigJob","args":[1e20]}})"});
  c.command({"RPUSH", "resque:inflight:" + id, payload});
  c.command({"SET", "resque:worker:" + id + ":started", "2026-11-28 06:46:50 +0000"});
  c.command({"HSET", "resque:workers:heartbeat", id, "2026-11-28T06:46:50+00:00"});
  c.command({"HSET", "resque:workers:heartbeat", "other:1:q", "2026-11-28T06:46:50+00:00"});
  c.command({"SET", "resque:worker:ping:host:77", R"({"time":1,"name":"host:77","queues":"big"})"});
  c.command({"SET", "resque:stat:processed:" + id, "4"});
  Queue q(server.options());
  ASSERT_TRUE(q.force_clean_worker(id));
  const auto failed = list(c, "resque:failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].find(R"("payload":)" + payload + R"(,"exception")"), std::string::npos)
      << failed[0];
  EXPECT_EQ(key_names(c), (std::vector<std::string>{"resque:failed", "resque:workers:heartbeat"}));
  EXPECT_EQ(c.command({"HKEYS", "resque:workers:heartbeat"}).strings(),
            std::vector<std::string>{"other:1:q"});
}

TEST(QueueWorkers, ForceCleanNodeWorker) {
  RedisServer server;
  Connection c(server.options());
  restore(c, load_fixture("node/04_worker_mid_job.json"));
  c.command(
      {"SET", "resque:stat:processed:vm:10049", "3"});  // node's per-worker stats use the name
  Queue q(server.options());
  const auto record = q.force_clean_worker("vm:10049:exports");
  ASSERT_TRUE(record);
  EXPECT_EQ((*record)["exception"], "Resque::DirtyExit");
  EXPECT_EQ((*record)["queue"], "exports");
  EXPECT_EQ((*record)["worker"], "vm:10049:exports");
  EXPECT_EQ((*record)["error"],
            "Worker vm:10049:exports did not gracefully exit while processing ExportJob");
  // The payload as node's cjson status holds it.
  EXPECT_EQ(encode_json((*record)["payload"]),
            R"({"class":"ExportJob","args":[42,"a@b.pt"],"queue":"exports"})");
  // Status, :started, ping and stats are gone (node's own forceCleanWorker leaks the status).
  EXPECT_EQ(key_names(c), (std::vector<std::string>{"resque:connection_test_key", "resque:failed",
                                                    "resque:queues"}));
}

TEST(QueueWorkers, ForceCleanIdleWorkerRecordsNothing) {
  RedisServer server;
  Connection c(server.options());
  const std::string id = "vm:5+1:a,b";
  c.command({"SADD", "resque:workers", id, "vm:5:a,b"});
  c.command({"SET", "resque:worker:" + id + ":started", "2026-11-28 06:46:50 +0000"});
  c.command({"SET", "resque:worker:ping:vm:5+1", "{}"});
  c.command({"SET", "resque:worker:ping:vm:5", "{}"});
  Queue q(server.options());
  EXPECT_FALSE(q.force_clean_worker(id));
  EXPECT_EQ(q.failed_count(), 0);
  EXPECT_EQ(key_names(c), (std::vector<std::string>{"resque:worker:ping:vm:5", "resque:workers"}));
  EXPECT_EQ(q.workers().at(0).id, "vm:5:a,b");
  EXPECT_FALSE(q.force_clean_worker("never:1:registered"));
  EXPECT_THROW(q.force_clean_worker(""), ConfigError);
}

TEST(QueueWorkers, ForceCleanKeepsAJobOnlyInTheInflightList) {
  RedisServer server;
  Connection c(server.options());
  const std::string id = "h:9:q";
  c.command({"SADD", "resque:workers", id});
  c.command({"RPUSH", "resque:inflight:" + id, R"({"class":"J","queue":"q","args":[1]})"});
  Queue q(server.options());
  const auto record = q.force_clean_worker(id);
  ASSERT_TRUE(record);
  EXPECT_EQ((*record)["queue"], "q");
  EXPECT_EQ(without_failed_at(list(c, "resque:failed").at(0)),
            R"({"failed_at":"<T>","payload":{"class":"J","queue":"q","args":[1]},)"
            R"("exception":"Resque::DirtyExit",)"
            R"("error":"Worker h:9:q did not gracefully exit while processing J",)"
            R"("backtrace":[],"worker":"h:9:q","queue":"q"})");
  EXPECT_EQ(key_names(c), std::vector<std::string>{"resque:failed"});
}

// issue 11: a Ruby-dialect payload names no queue and a peer deleted the status; the queue the
// worker step kept beside the in-flight copy names it, and the teardown deletes that key too.
TEST(QueueWorkers, ForceCleanTakesTheQueueKeptBesideTheInflightCopy) {
  RedisServer server;
  Connection c(server.options());
  const std::string id = "h:9:a,b";
  c.command({"SADD", "resque:workers", id});
  c.command({"RPUSH", "resque:inflight:" + id, R"({"class":"J","args":[1]})"});
  c.command({"SET", "resque:resque-cpp:inflight-queue:" + id, "b"});
  Queue q(server.options());
  const auto record = q.force_clean_worker(id);
  ASSERT_TRUE(record);
  EXPECT_EQ((*record)["queue"], "b");
  EXPECT_EQ((*record)["payload"], Json::parse(R"({"class":"J","args":[1]})"));
  EXPECT_EQ(key_names(c), std::vector<std::string>{"resque:failed"});
}

TEST(QueueWorkers, ForceCleanScriptRefusesWhenTheWorkerMovedOn) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SADD", "resque:workers", "h:1:q"});
  c.command({"SET", "resque:worker:h:1:q", "new status"});
  const Keys keys("resque");
  const protocol::WorkerKeys wk(keys, "h:1:q", "h:1");
  // The caller saw another status: nothing is recorded or deleted.
  EXPECT_FALSE(protocol::force_clean_worker(c, keys, wk, {std::string("old status"), {}, "{}"}));
  EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
  EXPECT_EQ(c.command({"SISMEMBER", "resque:workers", "h:1:q"}).integer(), 1);
  // The caller saw it idle, but it has a job now: refused too.
  EXPECT_FALSE(protocol::force_clean_worker(c, keys, wk, {{}, {}, ""}));
  EXPECT_EQ(c.command({"EXISTS", "resque:worker:h:1:q"}).integer(), 1);
}

TEST(QueueWorkers, CleanOldWorkersUsesRubyAndNodeRunAt) {
  RedisServer server;
  Connection c(server.options());
  const auto now = system_clock::now();
  const auto old = now - std::chrono::hours(2);
  c.command(
      {"SADD", "resque:workers", "ruby:1:q", "node:2:q", "fresh:3:q", "idle:4:q", "weird:5:q"});
  c.command({"SET", "resque:worker:ruby:1:q",
             R"({"queue":"q","run_at":")" + detail::iso_utc_z(old) +
                 R"(","payload":{"class":"R","args":[]}})"});
  c.command(
      {"SET", "resque:worker:node:2:q",
       R"({"run_at":")" + js_date(old) +
           R"(","worker":"node:2","payload":{"class":"N","args":{},"queue":"q"},"queue":"q"})"});
  c.command({"SET", "resque:worker:fresh:3:q",
             R"({"queue":"q","run_at":")" + detail::iso_utc_z(now) +
                 R"(","payload":{"class":"F","args":[]}})"});
  c.command({"SET", "resque:worker:weird:5:q", R"({"queue":"q","run_at":"yesterday"})"});
  Queue q(server.options());
  const auto cleaned = q.clean_old_workers(std::chrono::hours(1));
  ASSERT_EQ(cleaned.size(), 2u);
  EXPECT_EQ(cleaned.at("ruby:1:q")["payload"]["class"], "R");
  EXPECT_EQ(cleaned.at("node:2:q")["payload"]["class"], "N");
  EXPECT_EQ(q.failed_count(), 2);
  std::vector<std::string> left;
  for (const auto& w : q.workers()) left.push_back(w.id);
  EXPECT_EQ(left, (std::vector<std::string>{"fresh:3:q", "idle:4:q", "weird:5:q"}));
  // A node job whose args cjson turned into {} is retried with no arguments.
  const auto failed = q.failed();
  for (const auto& f : failed)
    if (f.entry["payload"]["class"] == "N") q.retry_failed(f.index);
  EXPECT_EQ(q.queued("q").at(0).args, Json::array());
}

TEST(QueueWorkers, ForceCleanInAnotherNamespaceAndAfterScriptFlush) {
  RedisServer server;
  Connection c(server.options());
  auto opts = server.options();
  opts.key_namespace = "myapp";
  c.command({"SADD", "myapp:workers", "h:1:q"});
  c.command({"SET", "myapp:worker:h:1:q",
             R"({"queue":"q","run_at":"2026-11-28T06:46:50Z","payload":{"class":"J","args":[]}})"});
  c.command({"SADD", "resque:workers", "h:1:q"});  // same id in the default namespace: untouched
  Queue q(opts);
  q.force_clean_worker("never:1:q");  // caches the script
  c.command({"SCRIPT", "FLUSH"});
  ASSERT_TRUE(q.force_clean_worker("h:1:q"));
  EXPECT_EQ(key_names(c), (std::vector<std::string>{"myapp:failed", "resque:workers"}));
}

TEST(QueueWorkers, PauseAllFollowsRubysRule) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  EXPECT_FALSE(q.all_paused());
  q.pause_all();
  EXPECT_EQ(c.command({"GET", "resque:pause-all-workers"}).string(), "true");
  EXPECT_TRUE(q.all_paused());
  q.resume_all();
  EXPECT_EQ(c.command({"EXISTS", "resque:pause-all-workers"}).integer(), 0);
  EXPECT_FALSE(q.all_paused());
  c.command({"SET", "resque:pause-all-workers", " TRUE \n"});
  EXPECT_TRUE(q.all_paused());
  c.command({"SET", "resque:pause-all-workers", "1"});  // Ruby does not pause on "1"
  EXPECT_FALSE(q.all_paused());
  c.command({"SET", "resque:pause-all-workers", ""});
  EXPECT_FALSE(q.all_paused());
}
