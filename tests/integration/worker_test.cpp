#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

namespace {
WorkerOptions opts(std::vector<std::string> queues) {
  WorkerOptions o;
  o.queues = std::move(queues);
  o.poll_interval = std::chrono::milliseconds(50);
  return o;
}
}  // namespace

TEST(Worker, PerformsTypedJobAndCountsStats) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  std::mutex mu;
  std::vector<std::pair<std::int64_t, std::string>> seen;
  reg->define("ExportJob", [&](std::int64_t catalog, std::string email) {
    std::lock_guard<std::mutex> l(mu);
    seen.emplace_back(catalog, email);
  });
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", Json::array({42, "a@b.pt"})));
  Worker w(server.options(), reg, opts({"exports"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  {
    std::lock_guard<std::mutex> l(mu);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].first, 42);
    EXPECT_EQ(seen[0].second, "a@b.pt");
  }
  Connection c(server.options());
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
  EXPECT_EQ(c.command({"GET", "resque:stat:processed:" + w.id()}).integer(), 1);
  EXPECT_TRUE(c.command({"GET", "resque:worker:" + w.id()}).is_nil());
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w.id()}).integer(), 0);
  EXPECT_EQ(c.command({"SISMEMBER", "resque:workers", w.id()}).integer(), 1);
  EXPECT_FALSE(c.command({"HGET", "resque:workers:heartbeat", w.id()}).is_nil());
  EXPECT_FALSE(c.command({"GET", "resque:worker:ping:" + w.name()}).is_nil());
  EXPECT_TRUE(w.stop());
  // A clean stop removes every key of the worker.
  EXPECT_EQ(c.command({"SISMEMBER", "resque:workers", w.id()}).integer(), 0);
  EXPECT_TRUE(c.command({"HGET", "resque:workers:heartbeat", w.id()}).is_nil());
  EXPECT_TRUE(c.command({"GET", "resque:worker:ping:" + w.name()}).is_nil());
  EXPECT_TRUE(c.command({"GET", "resque:worker:" + w.id() + ":started"}).is_nil());
  EXPECT_TRUE(c.command({"GET", "resque:stat:processed:" + w.id()}).is_nil());
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
}

// ---- queue order ----------------------------------------------------------------------

namespace {
// A job class "Rec" that records "<queue>:<first arg>".
std::shared_ptr<JobRegistry> recording_registry(std::shared_ptr<Recorder> performed) {
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("Rec", [performed](const Job& j) {
    performed->add(j.queue + ":" + j.args.at(0).get<std::string>());
  });
  return reg;
}
}  // namespace

TEST(WorkerQueues, StrictPriorityRestartsFromTheTopAfterEveryJob) {
  RedisServer server;
  Connection c(server.options());
  // Pushed in the opposite order of priority so FIFO across queues cannot fake the result.
  for (const char* q : {"b", "a", "c"})
    for (int i = 1; i <= 2; ++i)
      push_raw(c, q, fmt::format(R"({{"class":"Rec","args":["{}{}"]}})", q, i));
  auto performed = std::make_shared<Recorder>();
  Worker w(server.options(), recording_registry(performed), fast_worker({"c", "a", "b"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return performed->size() == 6; }));
  EXPECT_EQ(performed->items(),
            (std::vector<std::string>{"c:c1", "c:c2", "a:a1", "a:a2", "b:b1", "b:b2"}));
}

TEST(WorkerQueues, StarIsAlphabeticalAndPicksUpNewQueues) {
  RedisServer server;
  Connection c(server.options());
  for (const char* q : {"c", "a", "b"})
    for (int i = 1; i <= 2; ++i)
      push_raw(c, q, fmt::format(R"({{"class":"Rec","args":["{}{}"]}})", q, i));
  auto performed = std::make_shared<Recorder>();
  auto events = std::make_shared<Recorder>();
  auto reg = recording_registry(performed);
  auto o = fast_worker({"*"});
  o.events = recording_events(events);
  Worker w(server.options(), reg, o);
  w.start();
  ASSERT_TRUE(eventually([&] { return performed->size() == 6; }));
  EXPECT_EQ(performed->items(),
            (std::vector<std::string>{"a:a1", "a:a2", "b:b1", "b:b2", "c:c1", "c:c2"}));
  // Idle now; a queue that did not exist when the worker started is found, whether the job is
  // announced (Queue::enqueue) or pushed raw by another library.
  const auto polls = events->count("poll");
  ASSERT_TRUE(eventually([&] { return events->count("poll") > polls; }));
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("zeta", "Rec", Json::array({"z1"})));
  ASSERT_TRUE(eventually([&] { return performed->count("zeta:z1") == 1; }));
  push_raw(c, "omega", R"({"class":"Rec","args":["o1"]})");
  ASSERT_TRUE(eventually([&] { return performed->count("omega:o1") == 1; }));
}

TEST(WorkerQueues, ExclusionsAreNotPolled) {
  RedisServer server;
  Connection c(server.options());
  push_raw(c, "low", R"({"class":"Rec","args":["l"]})");
  push_raw(c, "high", R"({"class":"Rec","args":["h"]})");
  auto performed = std::make_shared<Recorder>();
  auto events = std::make_shared<Recorder>();
  auto o = fast_worker({"*", "!low"});
  o.events = recording_events(events);
  Worker w(server.options(), recording_registry(performed), o);
  // Ruby leaves exclusions out of the id.
  EXPECT_EQ(w.id(), w.name() + ":*");
  w.start();
  ASSERT_TRUE(eventually([&] { return performed->count("high:h") == 1; }));
  // After the worker went idle (polled and found nothing), the excluded job is still queued.
  const auto polls = events->count("poll");
  ASSERT_TRUE(eventually([&] { return events->count("poll") >= polls + 2; }));
  EXPECT_EQ(c.command({"LLEN", "resque:queue:low"}).integer(), 1);
  EXPECT_EQ(performed->size(), 1u);
}

// ---- many queues: WorkerOptions::priority_recheck_interval -----------------------------

namespace {
// 20 queues (over kExactPriorityQueues): jobs "b1" (blocks until `release`), "b2".."b4" in
// the last one. While b1 runs, `while_blocked` changes the queues; then b1 ends.
std::vector<std::string> run_many_queues(
    std::chrono::milliseconds recheck, const std::function<void(Connection&)>& while_blocked,
    std::size_t expect_jobs, std::chrono::milliseconds poll = std::chrono::milliseconds(50)) {
  RedisServer server;
  Connection c(server.options());
  std::vector<std::string> queues;
  for (int i = 0; i < 20; ++i) queues.push_back(fmt::format("q{:02}", i));
  static_assert(kExactPriorityQueues < 20);
  for (int i = 1; i <= 4; ++i)
    push_raw(c, "q19", fmt::format(R"({{"class":"Rec","args":["b{}"]}})", i));
  auto performed = std::make_shared<Recorder>();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> blocked{false};
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("Rec", [&, performed](const Job& j) {
    const auto a = j.args.at(0).get<std::string>();
    if (a == "b1") {
      blocked = true;
      released.wait();
    }
    performed->add(j.queue + ":" + a);
  });
  // The process's subscriber announces every (re)connect to every worker (a recheck): make
  // sure it is connected before the worker under test starts. A worker that can only be woken
  // by an announcement (its poll is an hour) performs a job enqueued after it went idle.
  Worker warm(server.options(), reg, fast_worker({"warm"}, std::chrono::hours(1)));
  warm.start();
  EXPECT_TRUE(eventually([&] { return warm.idle(); }));
  Queue(server.options()).enqueue("warm", "Rec", Json::array({"w"}));
  EXPECT_TRUE(eventually([&] { return warm.jobs_done() == 1; }));
  auto o = fast_worker(queues);
  o.priority_recheck_interval = recheck;
  o.poll_interval = poll;
  Worker w(server.options(), reg, o);
  w.start();
  EXPECT_TRUE(eventually([&] { return blocked.load(); }));
  while_blocked(c);
  release.set_value();
  EXPECT_TRUE(eventually([&] { return performed->size() >= expect_jobs + 1; }));
  EXPECT_TRUE(w.stop());
  // Nothing left anywhere, nothing done twice.
  for (const auto& q : queues) EXPECT_EQ(c.command({"LLEN", "resque:queue:" + q}).integer(), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w.id()}).integer(), 0);
  auto items = performed->items();
  items.erase(items.begin());  // warm:w
  return items;
}
}  // namespace

TEST(WorkerQueues, ManyQueuesKeepTakingFromTheQueueFoundUntilTheRecheck) {
  // A job another library pushed into a higher queue (no announcement) waits behind the jobs
  // of the queue the worker found, until that queue runs dry (the interval is long here).
  const auto items = run_many_queues(
      std::chrono::hours(1),
      [](Connection& c) { push_raw(c, "q00", R"({"class":"Rec","args":["h"]})"); }, 5);
  EXPECT_EQ(items, (std::vector<std::string>{"q19:b1", "q19:b2", "q19:b3", "q19:b4", "q00:h"}));
}

TEST(WorkerQueues, ManyQueuesWithRecheckZeroRestartFromTheTopAfterEveryJob) {
  const auto items = run_many_queues(
      std::chrono::milliseconds(0),
      [](Connection& c) { push_raw(c, "q00", R"({"class":"Rec","args":["h"]})"); }, 5);
  EXPECT_EQ(items, (std::vector<std::string>{"q19:b1", "q00:h", "q19:b2", "q19:b3", "q19:b4"}));
}

TEST(WorkerQueues, ManyQueuesRecheckAtOnceWhenTheQueueFoundRunsDry) {
  // Another consumer empties the queue the worker stuck to; the worker looks at every queue
  // in the next step instead of waiting for its poll (an hour here).
  const auto items = run_many_queues(
      std::chrono::hours(1),
      [](Connection& c) {
        c.command({"DEL", "resque:queue:q19"});
        push_raw(c, "q07", R"({"class":"Rec","args":["m"]})");
      },
      2, std::chrono::hours(1));
  EXPECT_EQ(items, (std::vector<std::string>{"q19:b1", "q07:m"}));
}

TEST(WorkerQueues, NegativeRecheckIntervalIsAConfigError) {
  RedisServer server;
  auto o = fast_worker({"a"});
  o.priority_recheck_interval = std::chrono::milliseconds(-1);
  EXPECT_THROW(Worker(server.options(), std::make_shared<JobRegistry>(), o), ConfigError);
}

// ---- failures -------------------------------------------------------------------------

namespace app {
struct QuotaExceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace app

TEST(WorkerFailures, EveryKindIsRecordedInRubyFormatAndTheWorkerGoesOn) {
  RedisServer server;
  Connection c(server.options());
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Boom", [] { throw std::runtime_error("boom"); });
  reg->define("Quota", [] { throw app::QuotaExceeded("over quota"); });
  reg->define("ThrowsInt", [] { throw 7; });
  auto good = std::make_shared<Recorder>();
  reg->define("Typed", [good](std::int64_t n, std::string s) { good->add(std::to_string(n) + s); });
  struct Case {
    std::string payload, exception, error;
  };
  const std::vector<Case> cases = {
      {R"({"class":"Boom","queue":"q","args":[]})", "std::runtime_error", "boom"},
      {R"({"class":"Quota","args":[]})", "app::QuotaExceeded", "over quota"},
      {R"({"class":"ThrowsInt","args":[]})", "int", "a non-standard exception was thrown"},
      {R"({"class":"NoSuchJob","args":[1]})", "resque::UnknownJobClass",
       R"(No job defined for class "NoSuchJob")"},
      {"not json{", "resque::EncodingError", ""},
      {"[1,2]", "resque::EncodingError", ""},
      {R"({"args":[1]})", "resque::EncodingError", ""},
      {R"({"class":"Typed","args":[1]})", "resque::ArgumentError",
       "Typed expects 2 arguments, got 1"},
      {R"({"class":"Typed","args":["x","y"]})", "resque::ArgumentError", ""},
  };
  for (const auto& k : cases) push_raw(c, "q", k.payload);
  push_raw(c, "q", R"({"class":"Typed","args":[5,"ok"]})");

  auto events = std::make_shared<Recorder>();
  auto o = fast_worker({"q"});
  o.events = recording_events(events);
  Worker w(server.options(), reg, o);
  w.start();
  // Every job finished: a job's counts are written by the step after it.
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == cases.size() + 1; }));
  ASSERT_EQ(good->size(), 1u);
  EXPECT_EQ(good->items()[0], "5ok");
  EXPECT_EQ(events->count("success:Typed"), 1u);
  EXPECT_TRUE(w.running());

  const auto failed = lrange(c, "resque:failed");
  ASSERT_EQ(failed.size(), cases.size());
  const std::regex failed_at(R"(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \S+)");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].payload);
    const Json f = Json::parse(failed[i]);
    std::vector<std::string> keys;
    for (auto it = f.begin(); it != f.end(); ++it) keys.push_back(it.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"failed_at", "payload", "exception", "error",
                                              "backtrace", "worker", "queue"}));
    EXPECT_TRUE(std::regex_match(f["failed_at"].get<std::string>(), failed_at));
    EXPECT_EQ(f["exception"], cases[i].exception);
    if (!cases[i].error.empty()) {
      EXPECT_EQ(f["error"], cases[i].error);
    }
    EXPECT_FALSE(f["error"].get<std::string>().empty());
    EXPECT_TRUE(f["backtrace"].is_array());
    EXPECT_EQ(f["worker"], w.id());
    EXPECT_EQ(f["queue"], "q");
    if (Json::accept(cases[i].payload)) {
      // The payload object as it was stored, byte for byte.
      EXPECT_NE(failed[i].find("\"payload\":" + cases[i].payload + ","), std::string::npos);
    } else {
      EXPECT_EQ(f["payload"], cases[i].payload);
    }
  }
  EXPECT_NE(Json::parse(failed[8])["error"].get<std::string>().find("argument 1"),
            std::string::npos);
  EXPECT_EQ(get_int(c, "resque:stat:failed"), static_cast<long long>(cases.size()));
  EXPECT_EQ(get_int(c, "resque:stat:processed"), static_cast<long long>(cases.size() + 1));
  EXPECT_EQ(get_int(c, "resque:stat:failed:" + w.id()), static_cast<long long>(cases.size()));
  EXPECT_EQ(get_int(c, "resque:stat:processed:" + w.id()),
            static_cast<long long>(cases.size() + 1));
  EXPECT_EQ(events->count("failure:Boom:std::runtime_error"), 1u);
  EXPECT_EQ(events->count("failure:NoSuchJob:resque::UnknownJobClass"), 1u);
  EXPECT_EQ(events->count_prefix("failure:"), cases.size());
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w.id()}).integer(), 0);
  EXPECT_FALSE(c.command({"EXISTS", "resque:worker:" + w.id()}).integer());
}

// ---- status while performing ------------------------------------------------------------

// A payload from 64 KB is appended to the status in place (worker_step.lua): the status is
// still one JSON object holding the payload, and the job ends as any other.
TEST(WorkerStatus, LongPayloadIsInTheStatusWhole) {
  RedisServer server;
  Connection c(server.options());
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  const std::string big(200 * 1024, 'z');
  auto seen = std::make_shared<std::atomic<std::size_t>>(0);
  reg->define("BigJob", [gate, seen](std::string s) {
    *seen = s.size();
    gate->pass();
  });
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("big", "BigJob", Json::array({big})));
  Worker w(server.options(), reg, fast_worker({"big"}));
  OpenOnExit open_on_exit{gate};
  w.start();
  ASSERT_TRUE(eventually([&] { return gate->entered() == 1; }));
  const Json status = Json::parse(c.command({"GET", "resque:worker:" + w.id()}).string());
  EXPECT_EQ(status["queue"], "big");
  EXPECT_EQ(status["payload"]["class"], "BigJob");
  EXPECT_EQ(status["payload"]["args"], Json::array({big}));
  EXPECT_TRUE(status.contains("run_at"));
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w.id()}).integer(), 1);
  gate->open();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  EXPECT_EQ(seen->load(), big.size());
  EXPECT_TRUE(c.command({"GET", "resque:worker:" + w.id()}).is_nil());
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w.id()}).integer(), 0);
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
}

TEST(WorkerStatus, MidJobKeysMatchRubysShape) {
  RedisServer server;
  Connection c(server.options());
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("ExportJob", [](std::int64_t, std::string) {});
  reg->define("SlowJob", [gate](std::int64_t) { gate->pass(); });
  // The fixture's scenario: ExportJob done, then SlowJob [3] running; Ruby payloads.
  const std::string slow = R"({"class":"SlowJob","args":[3]})";
  push_raw(c, "exports", R"({"class":"ExportJob","args":[42,"a@b.pt"]})");
  push_raw(c, "exports", slow);
  Worker w(server.options(), reg, fast_worker({"exports"}));
  OpenOnExit open_on_exit{gate};
  w.start();
  ASSERT_TRUE(eventually([&] { return gate->entered() == 1; }));
  EXPECT_TRUE(w.busy());
  EXPECT_FALSE(w.idle());

  std::ifstream in(std::string(RESQUE_TEST_FIXTURES) + "/ruby/07-worker-working.json");
  ASSERT_TRUE(in.good());
  const Json fixture = Json::parse(in);
  const std::string ruby_id = "vm:14907:exports";
  auto ours = [&](std::string key) {
    const auto at = key.find(ruby_id);
    if (at != std::string::npos) key.replace(at, ruby_id.size(), w.id());
    return key;
  };
  std::set<std::string> expected_keys;
  for (auto it = fixture.begin(); it != fixture.end(); ++it) {
    // Ruby's start-up pruning lock; resque-cpp does not prune.
    if (it.key() == "resque:pruning_dead_workers_in_progress") continue;
    SCOPED_TRACE(it.key());
    const std::string key = ours(it.key());
    expected_keys.insert(key);
    EXPECT_EQ(c.command({"TYPE", key}).string(), it.value()["type"].get<std::string>());
    EXPECT_EQ(c.command({"TTL", key}).integer(), -1);
  }
  // Ours in addition: the in-flight list and its job's queue, node's ping key and the index of
  // our workers.
  expected_keys.insert("resque:inflight:" + w.id());
  expected_keys.insert("resque:resque-cpp:inflight-queue:" + w.id());
  expected_keys.insert("resque:worker:ping:" + w.name());
  expected_keys.insert("resque:resque-cpp:workers");
  const auto all = c.command({"KEYS", "resque:*"}).strings();
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), expected_keys);

  // worker:<id>: Ruby's {"queue","run_at","payload"} first, payload object as stored, then
  // node's "worker" (the worker name) and the token that guards the job's finish.
  const auto status_raw = get(c, "resque:worker:" + w.id());
  ASSERT_TRUE(status_raw);
  const Json status = Json::parse(*status_raw);
  const Json ruby_status = fixture["resque:worker:" + ruby_id]["decoded"];
  std::vector<std::string> keys, ruby_keys;
  for (auto it = status.begin(); it != status.end(); ++it) keys.push_back(it.key());
  for (auto it = ruby_status.begin(); it != ruby_status.end(); ++it) ruby_keys.push_back(it.key());
  ruby_keys.push_back("worker");
  ruby_keys.push_back("token");
  EXPECT_EQ(keys, ruby_keys);
  EXPECT_EQ(status["worker"], w.name());
  EXPECT_EQ(status["queue"], "exports");
  EXPECT_EQ(status["payload"], ruby_status["payload"]);
  EXPECT_NE(status_raw->find("\"payload\":" + slow + ","), std::string::npos) << *status_raw;
  EXPECT_TRUE(std::regex_match(status["run_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")));

  EXPECT_EQ(lrange(c, "resque:inflight:" + w.id()), std::vector<std::string>{slow});
  EXPECT_TRUE(is_member(c, "resque:workers", w.id()));
  EXPECT_EQ(c.command({"SMEMBERS", "resque:queues"}).strings(),
            std::vector<std::string>{"exports"});
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
  EXPECT_EQ(get_int(c, "resque:stat:processed:" + w.id()), 1);
  const auto started = get(c, "resque:worker:" + w.id() + ":started");
  ASSERT_TRUE(started);
  EXPECT_TRUE(
      std::regex_match(*started, std::regex(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4})")))
      << *started;
  const auto beat = c.command({"HGET", "resque:workers:heartbeat", w.id()}).opt_string();
  ASSERT_TRUE(beat);
  std::tm tm{};
  const char* end = strptime(beat->c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  ASSERT_NE(end, nullptr) << *beat;
  EXPECT_STREQ(end, "+00:00");
  const auto redis_now = std::stoll(c.command({"TIME"}).element(0).string());
  EXPECT_LE(std::llabs(static_cast<long long>(timegm(&tm)) - redis_now), 60);
  const Json ping = Json::parse(*get(c, "resque:worker:ping:" + w.name()));
  EXPECT_EQ(ping["name"], w.name());
  EXPECT_EQ(ping["queues"], "exports");
  EXPECT_TRUE(ping["time"].is_number_integer());

  gate->open();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  EXPECT_FALSE(c.command({"EXISTS", "resque:worker:" + w.id()}).integer());
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:" + w.id()}).integer(), 0);
}

// ---- pause ------------------------------------------------------------------------------

namespace {
struct PauseFixture {
  RedisServer server;
  Connection c{server.options()};
  std::shared_ptr<Recorder> performed = std::make_shared<Recorder>();
  std::shared_ptr<Recorder> events = std::make_shared<Recorder>();
  std::unique_ptr<Worker> w;
  PauseFixture() {
    auto o = fast_worker({"q"});
    o.events = recording_events(events);
    w = std::make_unique<Worker>(server.options(), recording_registry(performed), o);
  }
  // No job is taken while paused: the worker keeps looking (its wake-ups and polls go on)
  // yet the job stays queued.
  void expect_not_taken(const std::string& arg) {
    push_raw(c, "q", R"({"class":"Rec","args":[")" + arg + R"("]})");
    EXPECT_FALSE(eventually([&] { return performed->count("q:" + arg) > 0; },
                            std::chrono::milliseconds(300)));
    EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 1);
  }
};
}  // namespace

TEST(WorkerPause, PauseAndResume) {
  PauseFixture f;
  f.w->start();
  ASSERT_TRUE(eventually([&] { return f.events->count("poll") > 0; }));
  f.w->pause();
  ASSERT_TRUE(eventually([&] { return f.events->count("pause") == 1; }));
  f.expect_not_taken("p1");
  f.w->resume();
  ASSERT_TRUE(eventually([&] { return f.performed->count("q:p1") == 1; }));
  // Every pause is announced, also one that follows a resume without any job in between.
  f.w->pause();
  ASSERT_TRUE(eventually([&] { return f.events->count("pause") == 2; }));
  f.w->resume();
  const auto polls = f.events->count("poll");
  ASSERT_TRUE(eventually([&] { return f.events->count("poll") > polls; }));
  f.w->pause();
  ASSERT_TRUE(eventually([&] { return f.events->count("pause") == 3; }));
  f.w->resume();
  push_raw(f.c, "q", R"({"class":"Rec","args":["p2"]})");
  ASSERT_TRUE(eventually([&] { return f.performed->count("q:p2") == 1; }));
}

TEST(WorkerPause, PauseAllWorkersKey) {
  PauseFixture f;
  f.w->start();
  ASSERT_TRUE(eventually([&] { return f.events->count("poll") > 0; }));
  int pauses = 0;
  for (const char* value : {"true", " TRUE \n"}) {
    SCOPED_TRACE(value);
    f.c.command({"SET", "resque:pause-all-workers", value});
    ++pauses;
    ASSERT_TRUE(
        eventually([&] { return f.events->count("pause") == static_cast<size_t>(pauses); }));
    f.expect_not_taken(std::string("k") + std::to_string(pauses));
    f.c.command({"DEL", "resque:pause-all-workers"});
    ASSERT_TRUE(
        eventually([&] { return f.performed->count("q:k" + std::to_string(pauses)) == 1; }));
  }
  // Ruby compares with "true" only: "1" does not pause.
  f.c.command({"SET", "resque:pause-all-workers", "1"});
  push_raw(f.c, "q", R"({"class":"Rec","args":["one"]})");
  ASSERT_TRUE(eventually([&] { return f.performed->count("q:one") == 1; }));
  EXPECT_EQ(f.events->count("pause"), 2u);
}

// ---- stopping ---------------------------------------------------------------------------

TEST(WorkerStop, GracefulStopFinishesTheJobInFlight) {
  RedisServer server;
  Connection c(server.options());
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Slow", [gate] { gate->pass(); });
  push_raw(c, "q", R"({"class":"Slow","args":[]})");
  push_raw(c, "q", R"({"class":"Slow","args":[]})");
  auto events = std::make_shared<Recorder>();
  auto o = fast_worker({"q"});
  o.events = recording_events(events);
  Worker w(server.options(), reg, o);
  OpenOnExit open_on_exit{gate};
  w.start();
  ASSERT_TRUE(eventually([&] { return gate->entered() == 1; }));
  auto stopped = std::async(std::launch::async, [&] { return w.stop(); });
  // stop() waits for the job.
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  EXPECT_TRUE(w.running());
  gate->open();
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(stopped.get());
  EXPECT_FALSE(w.running());
  EXPECT_EQ(w.jobs_done(), 1u);
  EXPECT_EQ(events->count("success:Slow"), 1u);
  EXPECT_EQ(events->count("end"), 1u);
  // The job is recorded done; the second job was not taken; the worker's keys are gone.
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 1);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 1);
  EXPECT_FALSE(is_member(c, "resque:workers", w.id()));
  EXPECT_FALSE(c.command({"EXISTS", "resque:worker:" + w.id(), "resque:inflight:" + w.id(),
                          "resque:worker:" + w.id() + ":started", "resque:worker:ping:" + w.name(),
                          "resque:stat:processed:" + w.id()})
                   .integer());
  EXPECT_TRUE(c.command({"HGET", "resque:workers:heartbeat", w.id()}).is_nil());
}

TEST(WorkerStop, DeadlinePassedLeavesTheJobInFlight) {
  RedisServer server;
  Connection c(server.options());
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Slow", [gate] { gate->pass(); });
  const std::string payload = R"({"class":"Slow","queue":"q","args":[]})";
  push_raw(c, "q", payload);
  auto events = std::make_shared<Recorder>();
  auto o = fast_worker({"q"});
  o.heartbeat_interval = std::chrono::milliseconds(30);
  o.events = recording_events(events);
  auto w = std::make_unique<Worker>(server.options(), reg, o);
  const std::string id = w->id(), name = w->name();
  OpenOnExit open_on_exit{gate};
  w->start();
  ASSERT_TRUE(eventually([&] { return gate->entered() == 1; }));
  // The heartbeat is alive while the job runs.
  ASSERT_TRUE(eventually([&] { return events->count("ping") >= 2; }));

  EXPECT_FALSE(w->stop(std::chrono::milliseconds(100)));
  EXPECT_EQ(lrange(c, "resque:inflight:" + id), std::vector<std::string>{payload});
  ASSERT_TRUE(get(c, "resque:worker:" + id));
  EXPECT_EQ(Json::parse(*get(c, "resque:worker:" + id))["payload"], Json::parse(payload));
  EXPECT_TRUE(is_member(c, "resque:workers", id));
  EXPECT_TRUE(get(c, "resque:worker:" + id + ":started"));
  // No more heartbeats: remove them and they stay gone, so recovery sees a dead worker.
  c.command({"HDEL", "resque:workers:heartbeat", id});
  c.command({"DEL", "resque:worker:ping:" + name});
  const auto pings = events->count("ping");
  EXPECT_FALSE(eventually(
      [&] {
        return !c.command({"HGET", "resque:workers:heartbeat", id}).is_nil() ||
               get(c, "resque:worker:ping:" + name).has_value();
      },
      std::chrono::milliseconds(200)));
  EXPECT_EQ(events->count("ping"), pings);

  // When the abandoned job finally returns, its thread writes nothing more.
  gate->open();
  ASSERT_TRUE(eventually([&] { return gate->left() == 1 && !w->busy(); }));
  EXPECT_FALSE(w->stop());  // already given up on
  w.reset();
  EXPECT_EQ(lrange(c, "resque:inflight:" + id), std::vector<std::string>{payload});
  EXPECT_TRUE(get(c, "resque:worker:" + id));
  EXPECT_TRUE(is_member(c, "resque:workers", id));
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 0);
}

// ---- wake-ups -----------------------------------------------------------------------------

TEST(WorkerWakeup, AnnouncedJobIsTakenWithoutWaitingForThePoll) {
  RedisServer server;
  auto performed = std::make_shared<Recorder>();
  auto events = std::make_shared<Recorder>();
  auto reg = recording_registry(performed);
  auto o = fast_worker({"q"}, std::chrono::seconds(60));
  o.events = recording_events(events);
  Worker w(server.options(), reg, o);
  w.start();
  ASSERT_TRUE(eventually([&] { return events->count("poll") >= 1; }));
  EXPECT_TRUE(w.idle());
  EXPECT_FALSE(w.busy());
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Rec", Json::array({"now"})));
  // Without the pub/sub wake-up this would take the full 60 s poll interval.
  EXPECT_TRUE(eventually([&] { return performed->count("q:now") == 1; }, std::chrono::seconds(5)));
}

TEST(WorkerWakeup, RawPushIsFoundByThePoll) {
  RedisServer server;
  Connection c(server.options());
  auto performed = std::make_shared<Recorder>();
  auto events = std::make_shared<Recorder>();
  auto o = fast_worker({"q"}, std::chrono::milliseconds(100));
  o.events = recording_events(events);
  Worker w(server.options(), recording_registry(performed), o);
  w.start();
  ASSERT_TRUE(eventually([&] { return events->count("poll") >= 1; }));
  // Nothing announces this job (no PUBLISH): the idle worker finds it on its next poll.
  push_raw(c, "q", R"({"class":"Rec","args":["raw"]})");
  EXPECT_TRUE(eventually([&] { return performed->count("q:raw") == 1; }, std::chrono::seconds(5)));
}

// ---- events -----------------------------------------------------------------------------

// A ping callback still running when the worker stops: the stop waits for it, so no event
// follows on_end (and none reaches a worker object that is gone).
TEST(WorkerEvents, StopWaitsForARunningPingCallback) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  auto events = std::make_shared<Recorder>();
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> pings_entered{0};
  auto o = fast_worker({"q"});
  o.heartbeat_interval = std::chrono::milliseconds(20);
  o.events = recording_events(events);
  o.events.on_ping = [&](const std::string&) {
    if (++pings_entered == 1) {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return open; });
    }
    events->add("ping-done");
  };
  Worker w(server.options(), reg, o);
  w.start();
  ASSERT_TRUE(eventually([&] { return pings_entered >= 1; }));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    EXPECT_TRUE(w.stop());
    stopped = true;
  });
  // While the callback is held, the worker cannot end (it would have within this wait before
  // the fix); then the callback is let go and the stop completes.
  EXPECT_FALSE(eventually([&] { return events->count("end") > 0; }, std::chrono::seconds(1)));
  EXPECT_FALSE(stopped);
  {
    std::lock_guard<std::mutex> l(mu);
    open = true;
  }
  cv.notify_all();
  stopper.join();
  const auto all = events->items();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back(), "end");
  EXPECT_GE(events->count("ping-done"), 1u);
}

// stop() from an on_ping callback (the heartbeat thread) asks and returns: waiting there would
// wait for a worker that waits for the callback.
TEST(WorkerEvents, StopFromAPingCallbackDoesNotDeadlock) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  auto o = fast_worker({"q"});
  o.heartbeat_interval = std::chrono::milliseconds(20);
  std::atomic<bool> asked{false};
  Worker* self = nullptr;
  o.events.on_ping = [&](const std::string&) {
    if (!asked.exchange(true)) {
      EXPECT_TRUE(self->stop());
    }
  };
  Worker w(server.options(), reg, o);
  self = &w;
  w.start();
  ASSERT_TRUE(eventually([&] { return asked && !w.running(); }));
  EXPECT_TRUE(w.stop());
}

TEST(WorkerEvents, EveryEventFires) {
  RedisServer server;
  Connection c(server.options());
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Ok", [] {});
  reg->define("Bad", [] { throw std::runtime_error("bad"); });
  std::mutex mu;
  std::vector<std::string> ids;
  auto events = std::make_shared<Recorder>();
  auto o = fast_worker({"q"});
  o.heartbeat_interval = std::chrono::milliseconds(20);
  o.events = recording_events(events);
  auto inner = o.events.on_success;
  o.events.on_success = [&, inner](const std::string& id, const Job& j,
                                   std::chrono::microseconds d) {
    {
      std::lock_guard<std::mutex> l(mu);
      ids.push_back(id + "|" + j.queue);
    }
    inner(id, j, d);
  };
  push_raw(c, "q", R"({"class":"Ok","args":[]})");
  push_raw(c, "q", R"({"class":"Bad","args":[]})");
  auto w = std::make_unique<Worker>(server.options(), reg, o);
  const std::string id = w->id();
  w->start();
  ASSERT_TRUE(eventually([&] {
    return events->count("poll") > 0 && events->count("ping") > 0 &&
           events->count("failure:Bad:std::runtime_error") == 1;
  }));
  EXPECT_TRUE(w->stop());
  const auto all = events->items();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front(), "start");
  EXPECT_EQ(all.back(), "end");
  EXPECT_EQ(events->count("job:Ok"), 1u);
  EXPECT_EQ(events->count("success:Ok"), 1u);
  EXPECT_EQ(events->count("job:Bad"), 1u);
  EXPECT_EQ(events->count("success:Bad"), 0u);
  EXPECT_EQ(events->count("error"), 0u);
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(ids, std::vector<std::string>{id + "|q"});
}

TEST(WorkerEvents, ThrowingCallbackDoesNotStopTheWorker) {
  RedisServer server;
  Connection c(server.options());
  auto performed = std::make_shared<Recorder>();
  auto o = fast_worker({"q"});
  o.events.on_job = [](const std::string&, const Job&) { throw std::runtime_error("callback"); };
  o.events.on_poll = [](const std::string&) { throw 1; };
  auto logged = std::make_shared<Recorder>();
  o.log = [logged](LogLevel level, std::string_view msg) {
    if (level == LogLevel::Error) logged->add(std::string(msg));
  };
  Worker w(server.options(), recording_registry(performed), o);
  w.start();
  push_raw(c, "q", R"({"class":"Rec","args":["a"]})");
  push_raw(c, "q", R"({"class":"Rec","args":["b"]})");
  ASSERT_TRUE(eventually([&] { return performed->size() == 2; }));
  // Both jobs finished (a job's counts are written by the step after it), else stat:failed
  // would be 0 whatever the outcome.
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 2; }));
  EXPECT_EQ(get_int(c, "resque:stat:failed"), 0);
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 2);
  EXPECT_GE(logged->size(), 2u);
}

TEST(WorkerStop, StopFromAnEventCallbackAndFromTwoThreadsAtOnce) {
  RedisServer server;
  Connection c(server.options());
  auto performed = std::make_shared<Recorder>();
  auto o = fast_worker({"q"});
  Worker* self = nullptr;
  std::atomic<int> stop_result{-1};
  o.events.on_success = [&](const std::string&, const Job&, std::chrono::microseconds) {
    stop_result = self->stop() ? 1 : 0;  // must not wait for its own thread
  };
  auto w = std::make_unique<Worker>(server.options(), recording_registry(performed), o);
  self = w.get();
  push_raw(c, "q", R"({"class":"Rec","args":["a"]})");
  push_raw(c, "q", R"({"class":"Rec","args":["b"]})");
  w->start();
  ASSERT_TRUE(eventually([&] { return !w->running() && stop_result == 1; }));
  // It stopped after the first job and unregistered.
  EXPECT_EQ(performed->size(), 1u);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 1);
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 0);

  // Started again, then stopped from two threads at once (both join safely).
  Worker w2(server.options(), recording_registry(performed), fast_worker({"q"}));
  w2.start();
  ASSERT_TRUE(eventually([&] { return performed->size() == 2; }));
  auto s1 = std::async(std::launch::async, [&] { return w2.stop(); });
  auto s2 = std::async(std::launch::async, [&] { return w2.stop(); });
  EXPECT_TRUE(s1.get());
  EXPECT_TRUE(s2.get());
  EXPECT_FALSE(w2.running());
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 0);
}

TEST(WorkerFailures, PayloadThatIsNeitherJsonNorUtf8IsRecordedAndTheWorkerGoesOn) {
  RedisServer server;
  Connection c(server.options());
  auto reg = std::make_shared<JobRegistry>();
  std::atomic<int> good{0};
  reg->define("Good", [&] { ++good; });
  c.command({"RPUSH", "resque:queue:q", std::string("\xff\xfe not json")});
  c.command({"RPUSH", "resque:queue:q", R"({"class":"Good","args":[]})"});
  c.command({"SADD", "resque:queues", "q"});
  Worker w(server.options(), reg, opts({"q"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return good == 1; }));
  ASSERT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 1);
  const Json f = Json::parse(c.command({"LINDEX", "resque:failed", "0"}).string());
  EXPECT_EQ(f["exception"], "resque::EncodingError");
  EXPECT_EQ(f["payload"], "\xEF\xBF\xBD\xEF\xBF\xBD not json");  // bad bytes replaced
  EXPECT_TRUE(w.running());
}
