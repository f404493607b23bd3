// resque-cli against a real redis-server: every command, its output (human and --json) and its
// exit status (0 success, 1 failure or no such entry, 2 usage), over data written by resque-cpp,
// by hand in Ruby's formats, and by node-resque (the golden fixtures recorded from it).
#include <gtest/gtest.h>

#include <chrono>

#include "node_peer.hpp"
#include "process.hpp"
#include "redis_dump.hpp"
#include "redis_server.hpp"
#include "resque/queue.hpp"
#include "resque/scheduler.hpp"
#include "resque/version.hpp"

using namespace resque;
using resque::test::RedisServer;

namespace {

struct Result {
  int rc = -1;
  std::string out;
  bool has(const std::string& s) const { return out.find(s) != std::string::npos; }
  // The last line that is a JSON document (stdout and stderr come together).
  Json json() const {
    std::size_t end = out.size();
    while (end > 0) {
      std::size_t start = out.rfind('\n', end - 2 < end ? end - 2 : 0);
      start = start == std::string::npos ? 0 : start + 1;
      const std::string line = out.substr(start, end - start);
      if (!line.empty() && (line[0] == '{' || line[0] == '['))
        return Json::parse(line.back() == '\n' ? line.substr(0, line.size() - 1) : line);
      if (start == 0) break;
      end = start;
    }
    ADD_FAILURE() << "no JSON in: " << out;
    return Json();
  }
};

class CliTest : public ::testing::Test {
 protected:
  RedisServer server;
  std::map<std::string, std::string> env{{"REDIS_URL", server.url()}};

  Result cli(std::vector<std::string> args) {
    args.insert(args.begin(), RESQUE_CLI_PATH);
    auto [rc, out] = resque::test::run(args, env);
    return {rc, out};
  }
  Queue queue() { return Queue(server.options()); }
  Connection redis() { return Connection(server.options()); }
  // Writes a golden fixture (tests/fixtures/...) into the server, key by key.
  void load(const std::string& fixture) {
    Connection c = redis();
    const Json dump = resque::test::load_fixture(fixture);
    for (const auto& [key, v] : dump.items()) {
      const std::string type = v["type"];
      const Json& value = v["value"];
      if (type == "string") c.command({"SET", key, value.get<std::string>()});
      if (type == "list" || type == "set")
        for (std::size_t i = 0; i < value.size(); ++i)
          c.command({type == "list" ? "RPUSH" : "SADD", key, value[i].get<std::string>()});
      if (type == "zset")
        for (const auto& m : value)
          c.command({"ZADD", key, std::to_string(m[1].get<long long>()), m[0].get<std::string>()});
      if (type == "hash")
        for (const auto& [f, x] : value.items()) c.command({"HSET", key, f, x.get<std::string>()});
    }
  }
  std::int64_t now() { return std::stoll(redis().command({"TIME"}).element(0).string()); }
};

const char* kRubyFailure =
    R"({"failed_at":"2026/11/28 06:46:46 UTC","payload":{"class":"HardJob","args":[1]},)"
    R"("exception":"RuntimeError","error":"bad input","backtrace":["app/jobs/hard.rb:3:in `perform'"],)"
    R"("worker":"rb:1:critical","queue":"critical"})";

}  // namespace

TEST_F(CliTest, HelpVersionAndUsageErrors) {
  auto help = cli({"--help"});
  EXPECT_EQ(help.rc, 0);
  EXPECT_TRUE(help.has("failed")) << help.out;
  EXPECT_TRUE(help.has("REDIS_PASSWORD")) << help.out;
  EXPECT_EQ(cli({"failed", "--help"}).rc, 0);
  auto enq_help = cli({"enqueue", "--help"});
  EXPECT_EQ(enq_help.rc, 0);
  EXPECT_TRUE(enq_help.has("plugins")) << enq_help.out;  // says it cannot run them
  auto version = cli({"--version"});
  EXPECT_EQ(version.rc, 0);
  EXPECT_TRUE(version.has(RESQUE_VERSION_STRING)) << version.out;
  EXPECT_EQ(cli({}).rc, 2);
  EXPECT_EQ(cli({"no-such-command"}).rc, 2);
  EXPECT_EQ(cli({"queue"}).rc, 2);
  EXPECT_EQ(cli({"queue", "show"}).rc, 2);
  EXPECT_EQ(cli({"failed", "retry"}).rc, 2);
  EXPECT_EQ(cli({"failed", "retry", "1", "--all"}).rc, 2);
  EXPECT_EQ(cli({"failed", "show", "abc"}).rc, 2);
  EXPECT_EQ(cli({"workers", "clean"}).rc, 2);  // --older-than is required
  EXPECT_EQ(cli({"enqueue", "q", "C", "[1]", "--at", "1", "--in", "5"}).rc, 2);
  auto bad_json = cli({"enqueue", "q", "C", "[1,"});
  EXPECT_EQ(bad_json.rc, 2);
  EXPECT_TRUE(bad_json.has("invalid JSON")) << bad_json.out;
  EXPECT_EQ(cli({"enqueue", "q", "C", R"({"a":1})"}).rc, 2);
  EXPECT_EQ(queue().queues().size(), 0u);  // nothing was written by any of them
}

TEST_F(CliTest, JsonAnywhereOnTheLine) {
  ASSERT_TRUE(queue().enqueue("exports", "ExportJob", Json::array({42})));
  const auto before = cli({"--json", "queues"});
  const auto after = cli({"queues", "--json"});
  EXPECT_EQ(before.rc, 0);
  EXPECT_EQ(before.out, after.out);
  EXPECT_EQ(before.json(), Json::parse(R"([{"name":"exports","length":1}])"));
  auto human = cli({"queues"});
  EXPECT_EQ(human.rc, 0);
  EXPECT_TRUE(human.has("QUEUE")) << human.out;
  EXPECT_TRUE(human.has("exports  1")) << human.out;
  // --url and --namespace after the command, too.
  auto ns = cli({"queues", "--namespace", "other", "--json"});
  EXPECT_EQ(ns.json(), Json::array());
}

TEST_F(CliTest, EnqueueNowAndLater) {
  auto r = cli({"enqueue", "exports", "ExportJob", R"([42,"a@b.pt"])"});
  EXPECT_EQ(r.rc, 0) << r.out;
  Queue q = queue();
  ASSERT_EQ(q.length("exports"), 1);
  EXPECT_EQ(q.queued("exports")[0].args, Json::parse(R"([42,"a@b.pt"])"));
  auto later = cli({"enqueue", "exports", "Later", "[1]", "--in", "3600", "--json"});
  EXPECT_EQ(later.rc, 0) << later.out;
  const auto at = later.json()["at"].get<std::int64_t>();
  EXPECT_GE(at, now() + 3590);
  EXPECT_EQ(q.scheduled_at("exports", "Later", Json::array({1})), std::vector<std::int64_t>{at});
  auto fixed = cli({"enqueue", "exports", "Fixed", "--at", "1900000000"});
  EXPECT_EQ(fixed.rc, 0) << fixed.out;
  EXPECT_TRUE(fixed.has("2030-03-17 17:46:40 UTC")) << fixed.out;
  EXPECT_EQ(q.scheduled_at("exports", "Fixed"), std::vector<std::int64_t>{1900000000});
  // The same job at the same second again is refused (library's duplicate rule): status 1.
  EXPECT_EQ(cli({"enqueue", "exports", "Fixed", "--at", "1900000000"}).rc, 1);
}

TEST_F(CliTest, QueueShowPagesAndReadableOutput) {
  Queue q = queue();
  for (int i = 0; i < 5; ++i) q.enqueue("exports", "ExportJob", Json::array({i}));
  redis().command({"RPUSH", "resque:queue:exports", "not json\x1b[31m"});
  auto all = cli({"queue", "show", "exports", "--json"});
  EXPECT_EQ(all.rc, 0);
  const Json j = all.json();
  EXPECT_EQ(j["length"], 6);
  ASSERT_EQ(j["jobs"].size(), 6u);
  EXPECT_EQ(j["jobs"][2], Json::parse(R"({"index":2,"class":"ExportJob","args":[2]})"));
  EXPECT_TRUE(j["jobs"][5]["class"].is_null());
  EXPECT_EQ(j["jobs"][5]["raw"], "not json\x1b[31m");
  auto page = cli({"queue", "show", "exports", "--start", "1", "--count", "2", "--json"});
  ASSERT_EQ(page.json()["jobs"].size(), 2u);
  EXPECT_EQ(page.json()["jobs"][0]["args"], Json::array({1}));
  auto human = cli({"queue", "show", "exports"});
  EXPECT_EQ(human.rc, 0);
  EXPECT_TRUE(human.has("3  ExportJob ")) << human.out;
  EXPECT_TRUE(human.has(" [3]\n")) << human.out;
  EXPECT_FALSE(human.has("\"class\"")) << human.out;  // no raw payloads
  EXPECT_FALSE(human.has("\x1b")) << human.out;       // terminal escapes neutralised
  EXPECT_TRUE(human.has("\\x1B[31m")) << human.out;
  EXPECT_EQ(cli({"queue", "show", "nope"}).rc, 1);
}

TEST_F(CliTest, QueueClearAndDeleteNeedYes) {
  Queue q = queue();
  for (int i = 0; i < 3; ++i) q.enqueue("exports", "ExportJob", Json::array({i}));
  q.enqueue("mail", "Mail");
  auto refused = cli({"queue", "clear", "exports"});
  EXPECT_EQ(refused.rc, 2);
  EXPECT_TRUE(refused.has("--yes")) << refused.out;
  EXPECT_EQ(q.length("exports"), 3);
  auto cleared = cli({"queue", "clear", "exports", "--yes", "--json"});
  EXPECT_EQ(cleared.rc, 0) << cleared.out;
  EXPECT_EQ(cleared.json()["removed"], 3);
  EXPECT_EQ(q.length("exports"), 0);
  EXPECT_EQ(q.queues(), (std::vector<std::string>{"exports", "mail"}));  // clear keeps it
  EXPECT_EQ(cli({"queue", "delete", "mail"}).rc, 2);
  EXPECT_EQ(q.length("mail"), 1);
  EXPECT_EQ(cli({"queue", "delete", "mail", "--yes"}).rc, 0);
  EXPECT_EQ(q.queues(), std::vector<std::string>{"exports"});
  EXPECT_EQ(cli({"queue", "delete", "mail", "--yes"}).rc, 1);
  EXPECT_EQ(cli({"queue", "clear", "nope", "--yes"}).rc, 1);
}

TEST_F(CliTest, JobDelete) {
  Queue q = queue();
  q.enqueue("exports", "ExportJob", Json::array({1}));
  q.enqueue("exports", "ExportJob", Json::array({2}));
  q.enqueue("exports", "ExportJob", Json::array({1}));
  q.enqueue("exports", "Other", Json::array({1}));
  auto r = cli({"job", "delete", "exports", "ExportJob", "[1]", "--json"});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.json()["removed"], 2);
  EXPECT_EQ(q.length("exports"), 2);
  EXPECT_EQ(cli({"job", "delete", "exports", "ExportJob", "[1]"}).rc, 1);
  EXPECT_EQ(cli({"job", "delete", "exports", "ExportJob"}).rc, 0);  // every ExportJob
  EXPECT_EQ(q.length("exports"), 1);
  EXPECT_EQ(q.queued("exports")[0].klass, "Other");

  // Another encoding of the same job is found only with --by-value.
  redis().command({"RPUSH", "resque:queue:exports", R"({"args":[3],"class":"ExportJob"})"});
  EXPECT_EQ(cli({"job", "delete", "exports", "ExportJob", "[3]"}).rc, 1);
  EXPECT_EQ(cli({"job", "delete", "exports", "ExportJob", "[3]", "--by-value"}).rc, 0);
  EXPECT_EQ(q.length("exports"), 1);
}

TEST_F(CliTest, DelayedListRemoveRunNow) {
  Queue q = queue();
  q.enqueue_at(std::chrono::system_clock::time_point(std::chrono::seconds(1900000000)), "exports",
               "Export", Json::array({1}));
  q.enqueue_at(std::chrono::system_clock::time_point(std::chrono::seconds(1900000100)), "exports",
               "Export", Json::array({2}));
  auto list = cli({"delayed", "list"});
  EXPECT_EQ(list.rc, 0);
  EXPECT_TRUE(list.has("2030-03-17 17:46:40 UTC (in ")) << list.out;
  EXPECT_FALSE(list.has("1900000000")) << list.out;  // readable times, not epochs
  const Json j = cli({"delayed", "list", "--json"}).json();
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0], Json::parse(
                      R"({"timestamp":1900000000,"queue":"exports","class":"Export","args":[1]})"));
  EXPECT_EQ(cli({"delayed", "remove", "exports", "Export", "[2]"}).rc, 0);
  EXPECT_EQ(cli({"delayed", "remove", "exports", "Export", "[2]"}).rc, 1);
  EXPECT_EQ(q.timestamps(), std::vector<std::int64_t>{1900000000});
  auto run = cli({"delayed", "run-now", "1900000000", "--json"});
  EXPECT_EQ(run.rc, 0) << run.out;
  EXPECT_EQ(run.json()["enqueued"], 1);
  EXPECT_TRUE(q.timestamps().empty());
  ASSERT_EQ(q.length("exports"), 1);
  EXPECT_EQ(q.queued("exports")[0].args, Json::array({1}));
  EXPECT_TRUE(q.scheduled_at("exports", "Export", Json::array({1})).empty());
  EXPECT_EQ(cli({"delayed", "run-now", "1900000000"}).rc, 1);
  EXPECT_EQ(cli({"delayed", "run-now", "soon"}).rc, 2);
}

TEST_F(CliTest, RunNowPushesRubyItemsAsRubyDoes) {
  load("ruby/02-enqueue-at.json");
  EXPECT_EQ(cli({"delayed", "run-now", "1900000000"}).rc, 0);
  Connection c = redis();
  EXPECT_EQ(c.command({"LRANGE", "resque:queue:exports", "0", "-1"}).strings(),
            std::vector<std::string>{R"({"class":"ExportJob","args":[42,"a@b.pt"]})"});
  EXPECT_EQ(
      c.command(
           {"EXISTS",
            R"(resque:timestamps:{"class":"ExportJob","args":[42,"a@b.pt"],"queue":"exports"})"})
          .integer(),
      0);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
}

TEST_F(CliTest, Schedules) {
  EXPECT_EQ(cli({"schedules", "list", "--json"}).json(), Json::array());
  Scheduler(server.options())
      .set_schedule(
          "nightly",
          Json::parse(R"({"class":"Report","cron":"0 3 * * *","queue":"reports","args":[7]})"));
  auto list = cli({"schedules", "list"});
  EXPECT_EQ(list.rc, 0);
  EXPECT_TRUE(list.has("cron 0 3 * * *")) << list.out;
  EXPECT_TRUE(list.has("never")) << list.out;
  const Json j = cli({"schedules", "list", "--json"}).json();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["name"], "nightly");
  EXPECT_EQ(j[0]["queue"], "reports");
  EXPECT_EQ(cli({"schedules", "fire", "nightly"}).rc, 0);
  Queue q = queue();
  ASSERT_EQ(q.length("reports"), 1);
  EXPECT_EQ(q.queued("reports")[0].klass, "Report");
  EXPECT_EQ(q.queued("reports")[0].args, Json::array({7}));
  EXPECT_EQ(cli({"schedules", "fire", "nope"}).rc, 1);
  EXPECT_EQ(cli({"schedules", "remove", "nightly"}).rc, 0);
  EXPECT_EQ(cli({"schedules", "list", "--json"}).json(), Json::array());
  EXPECT_EQ(redis().command({"SISMEMBER", "resque:schedules_changed", "nightly"}).integer(), 1);
  EXPECT_EQ(cli({"schedules", "remove", "nightly"}).rc, 1);
}

TEST_F(CliTest, WorkersOfNodeAndRubyWithTheirJobs) {
  load("node/04_worker_mid_job.json");  // node worker mid-job, pinged long ago
  Connection c = redis();
  const std::int64_t t = now();
  // A Ruby worker busy for 2 minutes, heartbeat fresh.
  const std::string rb = "rb:42:critical,default";
  c.command({"SADD", "resque:workers", rb});
  const auto iso = [](std::int64_t s) {
    const auto tt = static_cast<std::time_t>(s);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  };
  c.command({"SET", "resque:worker:" + rb,
             R"({"queue":"critical","run_at":")" + iso(t - 120) +
                 R"(","payload":{"class":"HardJob","args":[1]}})"});
  c.command({"HSET", "resque:workers:heartbeat", rb, iso(t - 5)});

  auto human = cli({"workers"});
  EXPECT_EQ(human.rc, 0);
  EXPECT_TRUE(human.has("HardJob on critical [1]")) << human.out;
  EXPECT_TRUE(human.has("2m 0")) << human.out;  // running for about two minutes
  EXPECT_TRUE(human.has("ExportJob on exports")) << human.out;
  const Json j = cli({"workers", "--json"}).json();
  ASSERT_EQ(j.size(), 2u);
  const Json& ruby = j[0]["id"] == rb ? j[0] : j[1];
  const Json& node = j[0]["id"] == rb ? j[1] : j[0];
  EXPECT_EQ(ruby["job"]["class"], "HardJob");
  EXPECT_GE(ruby["job"]["running_for"].get<long long>(), 120);
  EXPECT_EQ(ruby["queues"], Json::parse(R"(["critical","default"])"));
  EXPECT_EQ(node["job"]["class"], "ExportJob");
  EXPECT_EQ(node["job"]["run_at"], 1795848179);  // node's JavaScript date, read
  EXPECT_EQ(node["heartbeat_at"], 1795848180);   // node's ping

  // prune: only the node worker is silent for longer than an hour.
  auto pruned = cli({"workers", "prune", "--older-than", "3600", "--json"});
  EXPECT_EQ(pruned.rc, 0) << pruned.out;
  EXPECT_EQ(pruned.json()["pruned"], Json::array({"vm:10049:exports"}));
  Queue q = queue();
  EXPECT_EQ(q.workers().size(), 1u);
  EXPECT_EQ(q.failed_count(), 1);
  // clean: the Ruby worker has been on its job for over a minute.
  EXPECT_EQ(cli({"workers", "clean", "--older-than", "600", "--json"}).json()["cleaned"],
            Json::array());
  auto cleaned = cli({"workers", "clean", "--older-than", "60", "--json"});
  EXPECT_EQ(cleaned.json()["cleaned"], Json::array({rb}));
  EXPECT_TRUE(q.workers().empty());
  EXPECT_EQ(q.failed_count(), 2);
  EXPECT_TRUE(cli({"workers"}).has("no workers"));
}

TEST_F(CliTest, FailedListFiltersShowRetryRemoveClear) {
  load("node/03_failure.json");  // node's record: ExportJob on exports, Error "boom"
  Connection c = redis();
  c.command({"RPUSH", "resque:failed", kRubyFailure});
  Queue q = queue();
  q.enqueue("critical", "Filler");  // so retry's effect is visible as a second job

  auto human = cli({"failed", "list"});
  EXPECT_EQ(human.rc, 0);
  EXPECT_TRUE(human.has("2026-11-28 06:42:58 UTC")) << human.out;  // node's JS date
  EXPECT_TRUE(human.has("2026-11-28 06:46:46 UTC")) << human.out;  // Ruby's failed_at
  EXPECT_TRUE(human.has("RuntimeError")) << human.out;
  EXPECT_FALSE(human.has("common.js")) << human.out;  // backtraces only in show
  const Json all = cli({"failed", "list", "--json"}).json();
  EXPECT_EQ(all["total"], 2);
  ASSERT_EQ(all["entries"].size(), 2u);
  EXPECT_EQ(all["entries"][0]["class"], "ExportJob");
  EXPECT_EQ(all["entries"][0]["failed_at"], 1795848178);
  EXPECT_EQ(all["entries"][1]["queue"], "critical");
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--class", "HardJob"}, {"--queue", "critical"}, {"--exception", "RuntimeError"}}) {
    const Json f = cli({"failed", "list", flag, value, "--json"}).json();
    ASSERT_EQ(f["entries"].size(), 1u) << flag;
    EXPECT_EQ(f["entries"][0]["index"], 1) << flag;
  }
  EXPECT_EQ(cli({"failed", "list", "--class", "Nope", "--json"}).json()["entries"], Json::array());
  EXPECT_EQ(cli({"failed", "list", "--start", "1", "--json"}).json()["entries"].size(), 1u);

  auto show = cli({"failed", "show", "0"});
  EXPECT_EQ(show.rc, 0);
  EXPECT_TRUE(show.has("at Worker.perform (/srv/interop/common.js:72:36)")) << show.out;
  EXPECT_EQ(cli({"failed", "show", "1", "--json"}).json()["backtrace"],
            Json::array({"app/jobs/hard.rb:3:in `perform'"}));
  EXPECT_EQ(cli({"failed", "show", "9"}).rc, 1);

  EXPECT_EQ(cli({"failed", "retry", "1"}).rc, 0);
  EXPECT_EQ(q.length("critical"), 2);
  EXPECT_EQ(q.queued("critical")[1].klass, "HardJob");
  EXPECT_EQ(q.failed_count(), 2);  // Ruby's requeue keeps the entry
  EXPECT_TRUE(cli({"failed", "list", "--json"}).json()["entries"][1]["retried_at"].is_number());
  EXPECT_EQ(cli({"failed", "retry", "9"}).rc, 1);
  EXPECT_EQ(cli({"failed", "retry", "--all"}).rc, 2);
  EXPECT_EQ(q.length("exports"), 0);
  auto all_retry = cli({"failed", "retry", "--all", "--yes", "--json"});
  EXPECT_EQ(all_retry.json()["retried"], 2);
  EXPECT_EQ(q.length("exports"), 1);

  EXPECT_EQ(cli({"failed", "remove", "9"}).rc, 1);
  EXPECT_EQ(cli({"failed", "remove", "0"}).rc, 0);
  EXPECT_EQ(q.failed_count(), 1);
  EXPECT_EQ(q.failed(0, 0)[0].entry["exception"], "RuntimeError");
  EXPECT_EQ(cli({"failed", "remove", "--all"}).rc, 2);
  EXPECT_EQ(cli({"failed", "clear"}).rc, 2);
  EXPECT_EQ(q.failed_count(), 1);
  EXPECT_EQ(cli({"failed", "clear", "--yes"}).rc, 0);
  EXPECT_EQ(q.failed_count(), 0);
  c.command({"RPUSH", "resque:failed", kRubyFailure});
  EXPECT_EQ(cli({"failed", "remove", "--all", "--yes"}).rc, 0);
  EXPECT_EQ(q.failed_count(), 0);
  EXPECT_TRUE(cli({"failed", "list"}).has("0 failed jobs"));
}

TEST_F(CliTest, LocksListAndDelete) {
  Connection c = redis();
  c.command({"SET", "resque:lock:Export:exports:[1]", "1900000000", "EX", "100"});
  c.command({"SET", "resque:workerslock:Export:exports:[2]", "1900000000"});
  c.command({"SET", "resque:resque_scheduler_leader_lock", "vm:1", "EX", "180"});
  auto human = cli({"locks"});
  EXPECT_EQ(human.rc, 0);
  EXPECT_TRUE(human.has("lock:Export:exports:[1]")) << human.out;
  EXPECT_TRUE(human.has("never")) << human.out;
  const Json j = cli({"locks", "--json"}).json();
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["key"], "lock:Export:exports:[1]");
  EXPECT_GT(j[0]["ttl"].get<long long>(), 0);
  EXPECT_EQ(j[2]["key"], "resque_scheduler_leader_lock");
  EXPECT_EQ(cli({"locks", "delete", "lock:Export:exports:[1]"}).rc, 0);
  EXPECT_EQ(c.command({"EXISTS", "resque:lock:Export:exports:[1]"}).integer(), 0);
  EXPECT_EQ(cli({"locks", "delete", "lock:Export:exports:[1]"}).rc, 1);
  EXPECT_EQ(cli({"locks", "delete", "resque_scheduler_leader_lock"}).rc, 0);
  EXPECT_EQ(c.command({"EXISTS", "resque:resque_scheduler_leader_lock"}).integer(), 0);
  EXPECT_EQ(cli({"locks", "delete", "queues"}).rc, 2);
  EXPECT_EQ(c.command({"EXISTS", "resque:workerslock:Export:exports:[2]"}).integer(), 1);
}

TEST_F(CliTest, PauseResumeStatus) {
  EXPECT_EQ(cli({"pause", "status", "--json"}).json(), Json::parse(R"({"paused":false})"));
  auto p = cli({"pause"});
  EXPECT_EQ(p.rc, 0);
  EXPECT_TRUE(p.has("paused")) << p.out;
  EXPECT_TRUE(queue().all_paused());
  EXPECT_TRUE(cli({"pause", "status"}).has("paused: workers take no new jobs"));
  EXPECT_EQ(cli({"resume"}).rc, 0);
  EXPECT_FALSE(queue().all_paused());
  EXPECT_TRUE(cli({"pause", "status"}).has("not paused"));
}

TEST_F(CliTest, Stats) {
  Queue q = queue();
  q.enqueue("a", "A");
  q.enqueue("b", "B");
  q.enqueue_in(std::chrono::hours(1), "a", "Later");
  redis().command({"SET", "resque:stat:processed", "12"});
  const Json j = cli({"stats", "--json"}).json();
  EXPECT_EQ(j["processed"], 12);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["pending"], 2);
  EXPECT_EQ(j["queues"], 2);
  EXPECT_EQ(j["delayed_jobs"], 1);
  EXPECT_EQ(j["paused"], false);
  auto human = cli({"stats"});
  EXPECT_EQ(human.rc, 0);
  EXPECT_TRUE(human.has("2 jobs in 2 queues")) << human.out;
}

TEST_F(CliTest, PasswordFromTheEnvironmentAndNeverPrinted) {
  resque::test::RedisServerOptions so;
  so.password = "s3cret-pw";
  RedisServer secured(so);
  const std::string host = "127.0.0.1:" + std::to_string(secured.port());
  // In REDIS_URL, or beside a URL without one.
  env = {{"REDIS_URL", "redis://:s3cret-pw@" + host}};
  EXPECT_EQ(cli({"stats"}).rc, 0);
  env = {{"REDIS_URL", "redis://" + host}, {"RESQUE_REDIS_PASSWORD", "s3cret-pw"}};
  EXPECT_EQ(cli({"stats"}).rc, 0);
  env = {{"REDIS_URL", "redis://" + host}, {"REDIS_PASSWORD", "s3cret-pw"}};
  EXPECT_EQ(cli({"stats"}).rc, 0);
  env = {{"REDIS_URL", "redis://" + host}};
  auto noauth = cli({"stats"});
  EXPECT_EQ(noauth.rc, 1);
  // Wrong or malformed: failure, and the password appears nowhere.
  env = {{"REDIS_URL", "redis://:wrong-pw-123@" + host}};
  auto wrong = cli({"stats"});
  EXPECT_EQ(wrong.rc, 1);
  EXPECT_FALSE(wrong.has("wrong-pw-123")) << wrong.out;
  for (const std::string& url : std::vector<std::string>{
           "redis://user:pa/ss-word99@" + host, "redis://:pass-word99@host:port",
           "redis://:pass%zzword99@" + host, "redis//:pass-word99@" + host}) {
    env = {{"REDIS_URL", url}};
    auto r = cli({"stats"});
    EXPECT_EQ(r.rc, 1) << url;
    EXPECT_TRUE(r.has("invalid Redis URL")) << r.out;
    EXPECT_FALSE(r.has("word99")) << r.out;
    EXPECT_FALSE(r.has("pa/ss")) << r.out;
    env = {};
    auto flag = cli({"--url", url, "stats"});
    EXPECT_EQ(flag.rc, 1);
    EXPECT_FALSE(flag.has("word99")) << flag.out;
  }
  // A password on the command line works but is warned about (without echoing it).
  env = {};
  auto flag = cli({"--url", "redis://:s3cret-pw@" + host, "stats"});
  EXPECT_EQ(flag.rc, 0);
  EXPECT_TRUE(flag.has("warning")) << flag.out;
  EXPECT_FALSE(flag.has("s3cret-pw")) << flag.out;
}

TEST_F(CliTest, RedisDownIsAFailure) {
  const int port = server.port();
  server.stop();
  env = {{"REDIS_URL", "redis://127.0.0.1:" + std::to_string(port)}};
  auto r = cli({"stats"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_TRUE(r.has("Connection refused")) << r.out;
}

// Live node-resque: a node worker fails the job the CLI enqueued; the CLI reads node's failure
// record, retries it, and a node worker then performs it.
TEST_F(CliTest, NodeWorkerFailsRetriedJob) {
  RESQUE_REQUIRE_NODE();
  ASSERT_EQ(cli({"enqueue", "exports", "ExportJob", R"([42,"a@b.pt"])"}).rc, 0);
  auto failing = resque::test::run_node("work_once.js", {"exports"}, server.port(),
                                        {{"FAIL_CLASSES", "ExportJob"}});
  ASSERT_EQ(failing.status, 0) << failing.output;
  const Json list = cli({"failed", "list", "--json"}).json();
  ASSERT_EQ(list["total"], 1);
  const Json& entry = list["entries"][0];
  EXPECT_EQ(entry["class"], "ExportJob");
  EXPECT_EQ(entry["queue"], "exports");
  EXPECT_EQ(entry["exception"], "Error");
  EXPECT_EQ(entry["error"], "boom");
  EXPECT_TRUE(entry["failed_at"].is_number()) << entry;  // node's JavaScript date, read
  auto show = cli({"failed", "show", "0"});
  EXPECT_EQ(show.rc, 0);
  EXPECT_TRUE(show.has("backtrace:")) << show.out;
  EXPECT_EQ(cli({"failed", "retry", "0"}).rc, 0);
  EXPECT_EQ(queue().length("exports"), 1);
  auto working = resque::test::run_node("work_once.js", {"exports"}, server.port());
  ASSERT_EQ(working.status, 0) << working.output;
  EXPECT_EQ(queue().length("exports"), 0);
  const Json stats = cli({"stats", "--json"}).json();
  EXPECT_EQ(stats["processed"], 1);
  EXPECT_EQ(stats["failed"], 1);
}

// issue 11: what the CLI writes follows --dialect, else the URL's ?dialect=, else ruby.
TEST_F(CliTest, DialectFromTheFlagOrTheUrl) {
  Connection c = redis();
  auto last = [&c](const std::string& q) {
    const auto items = c.command({"LRANGE", "resque:queue:" + q, "-1", "-1"}).strings();
    return items.empty() ? std::string() : items[0];
  };
  ASSERT_EQ(cli({"enqueue", "d", "C", "[1]"}).rc, 0);
  EXPECT_EQ(last("d"), R"({"class":"C","args":[1]})");  // Ruby's bytes by default
  ASSERT_EQ(cli({"--dialect", "node", "enqueue", "d", "C", "[2]"}).rc, 0);
  EXPECT_EQ(last("d"), R"({"class":"C","queue":"d","args":[2]})");
  ASSERT_EQ(cli({"enqueue", "d", "C", "[3]", "--dialect", "ruby"}).rc, 0);
  EXPECT_EQ(last("d"), R"({"class":"C","args":[3]})");
  env = {{"REDIS_URL", server.url() + "?dialect=node"}};
  ASSERT_EQ(cli({"enqueue", "d", "C", "[4]"}).rc, 0);
  EXPECT_EQ(last("d"), R"({"class":"C","queue":"d","args":[4]})");
  ASSERT_EQ(cli({"--dialect", "ruby", "enqueue", "d", "C", "[5]"}).rc, 0);  // the flag wins
  EXPECT_EQ(last("d"), R"({"class":"C","args":[5]})");
  // Unknown values: a usage error for the flag, a refused URL for the parameter.
  auto flag = cli({"--dialect", "python", "enqueue", "d", "C", "[6]"});
  EXPECT_EQ(flag.rc, 2) << flag.out;
  env = {{"REDIS_URL", server.url() + "?dialect=python"}};
  auto url = cli({"enqueue", "d", "C", "[7]"});
  EXPECT_EQ(url.rc, 1) << url.out;
  EXPECT_TRUE(url.has("dialect must be ruby or node")) << url.out;
  EXPECT_EQ(c.command({"LLEN", "resque:queue:d"}).integer(), 5);
}

// The CLI redacts URLs with the library's redact_url, which also hides secret query values.
TEST_F(CliTest, SentinelPasswordInTheUrlIsNeverPrinted) {
  for (const std::string& url :
       std::vector<std::string>{"redis+sentinel://127.0.0.1:1/m?sentinel_password=sentinel-pw99",
                                "redis+sentinel://127.0.0.1:1/m?sentinel_password=sentinel-pw99"
                                "&db=x"}) {
    env = {{"REDIS_URL", url}};
    auto r = cli({"stats"});
    EXPECT_EQ(r.rc, 1) << r.out;
    EXPECT_FALSE(r.has("sentinel-pw99")) << r.out;
    env = {};
    auto flag = cli({"--url", url, "stats"});
    EXPECT_EQ(flag.rc, 1) << flag.out;
    EXPECT_FALSE(flag.has("sentinel-pw99")) << flag.out;
  }
}
