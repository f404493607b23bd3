// Scheduler against a real redis-server: promotion (our, Ruby's and node's delayed items),
// leadership, dead-worker recovery and recurring schedules (in code and resque-scheduler's
// persisted format).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <regex>

#include "process.hpp"
#include "protocol/scheduler_scripts.hpp"
#include "protocol/worker_scripts.hpp"
#include "redis_server.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "sched_support.hpp"
#include "time/timefmt.hpp"

using namespace resque;
using namespace resque::test;

namespace {

// Makes a fixture's delayed timestamp due now without renaming its keys: only the score moves.
void make_due(Connection& c, const std::string& member) {
  c.command(
      {"ZADD", "resque:delayed_queue_schedule", "XX", std::to_string(redis_now(c) - 10), member});
}

void add_delayed(Connection& c, std::int64_t ts, const std::string& item) {
  const std::string t = std::to_string(ts);
  c.command({"RPUSH", "resque:delayed:" + t, item});
  c.command({"SADD", "resque:timestamps:" + item, "delayed:" + t});
  c.command({"ZADD", "resque:delayed_queue_schedule", t, t});
}

Json failure_at(Connection& c, long long i) {
  return Json::parse(c.command({"LINDEX", "resque:failed", std::to_string(i)}).string());
}

std::vector<std::string> keys_of(const Json& j) {
  std::vector<std::string> out;
  for (const auto& [k, v] : j.items()) out.push_back(k);
  return out;
}

const std::vector<std::string> kFailureFields = {"failed_at", "payload", "exception", "error",
                                                 "backtrace", "worker",  "queue"};

// A plugin whose before_enqueue vetoes while `veto` is set.
struct GatePlugin : Plugin {
  std::atomic<bool> veto{true};
  std::atomic<int> before{0}, after{0};
  std::string name() const override { return "Gate"; }
  bool before_enqueue(HookContext&) override {
    ++before;
    return !veto;
  }
  void after_enqueue(HookContext&) override { ++after; }
};

}  // namespace

// ---- promotion -------------------------------------------------------------------------------

TEST(SchedulerPromotion, PromotesOwnDelayedJobAtomically) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  ASSERT_TRUE(q.enqueue_at(std::chrono::system_clock::now() - std::chrono::seconds(5), "exports",
                           "ExportJob", Json::array({42, "a@b.pt"})));
  std::vector<std::pair<Job, std::int64_t>> promoted;
  auto o = fast_scheduler("s1");
  o.events.on_promoted = [&](const Job& j, std::int64_t ts) { promoted.emplace_back(j, ts); };
  Scheduler s(server.options(), nullptr, o);
  const auto poll = s.run_once();
  EXPECT_TRUE(poll.leader);
  EXPECT_EQ(poll.promoted, 1u);
  // Promoted as resque-scheduler promotes the item our (Ruby-dialect) enqueue_at wrote.
  EXPECT_EQ(list(c, "resque:queue:exports"),
            std::vector<std::string>{R"({"class":"ExportJob","args":[42,"a@b.pt"]})"});
  EXPECT_EQ(all_keys(c), (std::set<std::string>{"resque:queue:exports", "resque:queues",
                                                "resque:resque_scheduler_leader_lock"}));
  ASSERT_EQ(promoted.size(), 1u);
  EXPECT_EQ(promoted[0].first.klass, "ExportJob");
  EXPECT_EQ(promoted[0].first.queue, "exports");
  EXPECT_EQ(s.run_once().promoted, 0u);
}

TEST(SchedulerPromotion, FutureJobsWait) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  q.enqueue_in(std::chrono::hours(1), "exports", "ExportJob", Json::array({1}));
  Scheduler s(server.options(), nullptr, fast_scheduler("s1"));
  EXPECT_EQ(s.run_once().promoted, 0u);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 1);
  EXPECT_EQ(c.command({"EXISTS", "resque:queue:exports"}).integer(), 0);
}

TEST(SchedulerPromotion, RubyFixture02BecomesRubyFixture03) {
  RedisServer server;
  Connection c(server.options());
  load_fixture(c, read_fixture("ruby/02-enqueue-at.json"));
  make_due(c, "1900000000");
  Scheduler s(server.options(), nullptr, fast_scheduler("s1"));
  EXPECT_EQ(s.run_once().promoted, 1u);
  // What resque-scheduler itself left (fixture 03), byte for byte, minus its master lock.
  const Json expected = read_fixture("ruby/03-scheduler-promoted.json");
  std::set<std::string> want;
  for (const auto& [k, v] : expected.items())
    if (k != "resque:resque:resque_scheduler_master_lock") want.insert(k);
  want.insert("resque:resque_scheduler_leader_lock");
  EXPECT_EQ(all_keys(c), want);
  EXPECT_EQ(list(c, "resque:queue:exports"),
            expected["resque:queue:exports"]["value"].get<std::vector<std::string>>());
  EXPECT_EQ(c.command({"SMEMBERS", "resque:queues"}).strings(),
            std::vector<std::string>{"exports"});
}

TEST(SchedulerPromotion, NodeItemsArePushedAsStored) {
  RedisServer server;
  Connection c(server.options());
  load_fixture(c, read_fixture("node/02_enqueue_at.json"));
  make_due(c, "1900000000");
  Scheduler s(server.options(), nullptr, fast_scheduler("s1"));
  EXPECT_EQ(s.run_once().promoted, 1u);
  const Json node_promoted = read_fixture("node/10_scheduler_promoted.json");
  EXPECT_EQ(list(c, "resque:queue:exports"),
            node_promoted["resque:queue:exports"]["value"].get<std::vector<std::string>>());
  EXPECT_EQ(all_keys(c),
            (std::set<std::string>{"resque:connection_test_key", "resque:queue:exports",
                                   "resque:queues", "resque:resque_scheduler_leader_lock"}));
}

TEST(SchedulerPromotion, ItemsWithoutQueueOrNotJobsGoToFailedNotLost) {
  RedisServer server;
  Connection c(server.options());
  const std::int64_t ts = redis_now(c) - 3;
  add_delayed(c, ts, R"({"class":"ExportJob","args":[1],"queue":null})");
  add_delayed(c, ts, "not json at all");
  add_delayed(c, ts, R"({"class":"ExportJob","args":[2],"queue":"exports"})");
  std::vector<std::string> errors;
  auto o = fast_scheduler("s1");
  o.events.on_error = [&](const std::string& m) { errors.push_back(m); };
  Scheduler s(server.options(), nullptr, o);
  EXPECT_EQ(s.run_once().promoted, 1u);
  EXPECT_EQ(list(c, "resque:queue:exports"),
            std::vector<std::string>{R"({"class":"ExportJob","args":[2]})"});
  ASSERT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 2);
  const Json f0 = failure_at(c, 0);
  EXPECT_EQ(keys_of(f0), kFailureFields);
  EXPECT_EQ(f0["exception"], "resque::NoQueueError");
  EXPECT_NE(f0["error"].get<std::string>().find("names no queue"), std::string::npos);
  EXPECT_EQ(f0["payload"], Json::parse(R"({"class":"ExportJob","args":[1],"queue":null})"));
  EXPECT_EQ(f0["worker"], "s1");
  EXPECT_TRUE(std::regex_match(f0["failed_at"].get<std::string>(),
                               std::regex(R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \S+)")));
  const Json f1 = failure_at(c, 1);
  EXPECT_EQ(f1["exception"], "resque::EncodingError");
  EXPECT_EQ(f1["payload"], "not json at all");
  EXPECT_EQ(errors.size(), 2u);
  // Nothing of the timestamp is left.
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
  EXPECT_EQ(c.command({"EXISTS", "resque:delayed:" + std::to_string(ts)}).integer(), 0);
  EXPECT_EQ(c.command({"KEYS", "resque:timestamps:*"}).size(), 0u);
}

TEST(SchedulerPromotion, BatchesKeepOrderDuplicatesAndTimestampOrder) {
  RedisServer server;
  Connection c(server.options());
  const std::int64_t now = redis_now(c);
  for (int i = 0; i < 250; ++i)
    c.command({"RPUSH", "resque:delayed:" + std::to_string(now - 5),
               Json({{"class", "J"}, {"queue", "q"}, {"args", {i}}}).dump()});
  // Two identical items share one timestamps: member, as both peers write them.
  const std::string dup = R"({"class":"D","queue":"q","args":[]})";
  add_delayed(c, now - 6, dup);
  add_delayed(c, now - 6, dup);
  c.command(
      {"ZADD", "resque:delayed_queue_schedule", std::to_string(now - 5), std::to_string(now - 5)});
  auto o = fast_scheduler("s1");
  o.promotion_batch_size = 64;
  Scheduler s(server.options(), nullptr, o);
  EXPECT_EQ(s.run_once().promoted, 252u);
  const auto items = list(c, "resque:queue:q");
  ASSERT_EQ(items.size(), 252u);
  EXPECT_EQ(items[0], dup);  // the earlier timestamp first
  EXPECT_EQ(items[1], dup);
  for (int i = 0; i < 250; ++i)
    EXPECT_EQ(Json::parse(items[static_cast<std::size_t>(i) + 2])["args"][0], i);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
  EXPECT_EQ(c.command({"EXISTS", "resque:timestamps:" + dup}).integer(), 0);
}

TEST(SchedulerPromotion, CommitSkipsItemsThatVanishedAndKeepsSharedTimestampMembers) {
  // White box: the promote script only moves an item it can remove, so a crash or a race
  // between reading and committing can neither lose nor duplicate a job.
  RedisServer server;
  Connection c(server.options());
  const std::string item = R"({"class":"J","queue":"q","args":[1]})";
  add_delayed(c, 100, item);
  add_delayed(c, 100, item);
  const Keys keys("resque");
  using protocol::PromoteAction;
  const auto r = protocol::promote(c, keys, "100",
                                   {{PromoteAction::Push, item, "q", item, "", 0},
                                    {PromoteAction::Push, "gone", "q", "gone", "", 0}});
  EXPECT_EQ(r, (std::vector<bool>{true, false}));
  EXPECT_EQ(list(c, "resque:queue:q"), std::vector<std::string>{item});
  // One copy still waits: its timestamps: member and schedule entry stay.
  EXPECT_EQ(c.command({"SISMEMBER", "resque:timestamps:" + item, "delayed:100"}).integer(), 1);
  EXPECT_EQ(c.command({"ZSCORE", "resque:delayed_queue_schedule", "100"}).integer(), 100);
}

long long scripts_run(Connection& c) {
  const std::string info = c.command({"INFO", "commandstats"}).string();
  long long n = 0;
  for (const char* name : {"cmdstat_evalsha:calls=", "cmdstat_eval:calls="}) {
    const auto p = info.find(name);
    if (p != std::string::npos) n += std::stoll(info.substr(p + std::strlen(name)));
  }
  return n;
}

TEST(SchedulerPromotion, ManyTimestampsArePromotedTogetherNotTwoScriptsEach) {
  RedisServer server;
  Connection c(server.options());
  const std::int64_t now = redis_now(c);
  for (int i = 0; i < 300; ++i)
    add_delayed(c, now - 1000 + i, Json({{"class", "J"}, {"queue", "q"}, {"args", {i}}}).dump());
  auto o = fast_scheduler("s1");
  o.promotion_batch_size = 100;
  o.recover_dead_workers = false;
  Scheduler s(server.options(), nullptr, o);
  const long long before = scripts_run(c);
  EXPECT_EQ(s.run_once().promoted, 300u);
  // Three rounds of 100 timestamps (a due read and a promote each) and the read that finds
  // nothing more due; leadership takes a few more. Per timestamp it was two scripts (600).
  EXPECT_LT(scripts_run(c) - before, 20);
  const auto items = list(c, "resque:queue:q");
  ASSERT_EQ(items.size(), 300u);
  for (int i = 0; i < 300; ++i)
    EXPECT_EQ(Json::parse(items[static_cast<std::size_t>(i)])["args"][0], i);  // oldest first
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
  EXPECT_EQ(c.command({"KEYS", "resque:timestamps:*"}).size(), 0u);
}

TEST(SchedulerPromotion, CopyBeyondTheBatchKeepsItsTimestampsMemberUntilTheListIsEmpty) {
  RedisServer server;
  Connection c(server.options());
  const Keys keys("resque");
  const std::string dup = R"({"class":"D","queue":"q","args":[]})";
  add_delayed(c, 100, dup);
  for (int i = 0; i < 5; ++i)
    add_delayed(c, 100, Json({{"class", "J"}, {"queue", "q"}, {"args", {i}}}).dump());
  add_delayed(c, 100, dup);
  // The first batch (3 items, as a scheduler with promotion_batch_size 3 reads it).
  const protocol::DueBatch due = protocol::delayed_due(c, keys, 3);
  ASSERT_EQ(due.due.size(), 1u);
  ASSERT_EQ(due.due[0].items.size(), 3u);
  std::vector<protocol::PromoteMove> moves;
  for (const auto& raw : due.due[0].items)
    moves.push_back({protocol::PromoteAction::Push, raw, "q", raw, "", 0});
  EXPECT_EQ(protocol::promote(c, keys, "100", moves), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(c.command({"LLEN", "resque:delayed:100"}).integer(), 4);
  // The other copy of dup still waits at 100: its member stays; so do the promoted ones' until
  // the list is empty.
  EXPECT_EQ(c.command({"SISMEMBER", "resque:timestamps:" + dup, "delayed:100"}).integer(), 1);
  EXPECT_EQ(c.command({"SCARD", "resque:resque-cpp:promoted:100"}).integer(), 3);
  auto o = fast_scheduler("s1");
  o.promotion_batch_size = 3;
  o.recover_dead_workers = false;
  Scheduler s(server.options(), nullptr, o);
  EXPECT_EQ(s.run_once().promoted, 4u);
  EXPECT_EQ(list(c, "resque:queue:q").size(), 7u);
  EXPECT_EQ(c.command({"KEYS", "resque:timestamps:*"}).size(), 0u);
  EXPECT_EQ(c.command({"EXISTS", "resque:resque-cpp:promoted:100", "resque:delayed:100"}).integer(),
            0);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
}

TEST(SchedulerPromotion, ItemsRemovedSinceTheReadAreSkippedWhenTheHeadChanged) {
  RedisServer server;
  Connection c(server.options());
  const Keys keys("resque");
  const std::string a = R"({"class":"J","queue":"q","args":[1]})";
  const std::string b = R"({"class":"J","queue":"q","args":[2]})";
  add_delayed(c, 100, a);
  add_delayed(c, 100, b);
  c.command({"LREM", "resque:delayed:100", "1", a});  // removed by someone else after the read
  using protocol::PromoteAction;
  EXPECT_EQ(protocol::promote(
                c, keys, "100",
                {{PromoteAction::Push, a, "q", a, "", 0}, {PromoteAction::Push, b, "q", b, "", 0}}),
            (std::vector<bool>{false, true}));
  EXPECT_EQ(list(c, "resque:queue:q"), std::vector<std::string>{b});
  EXPECT_EQ(c.command({"EXISTS", "resque:delayed:100"}).integer(), 0);
}

TEST(SchedulerPromotion, DelayedKeyOfAnotherTypeIsSetAsideAndLaterOnesStillPromote) {
  RedisServer server;
  Connection c(server.options());
  const std::string item = R"({"class":"J","queue":"q","args":[1]})";
  c.command({"ZADD", "resque:delayed_queue_schedule", "50", "50"});
  c.command({"SET", "resque:delayed:50", "not a list"});
  add_delayed(c, 100, item);
  std::vector<std::string> errors;
  auto o = fast_scheduler("s1");
  o.events.on_error = [&](const std::string& e) { errors.push_back(e); };
  Scheduler s(server.options(), nullptr, o);
  EXPECT_EQ(s.run_once().promoted, 1u);
  EXPECT_EQ(list(c, "resque:queue:q"), std::vector<std::string>{item});
  EXPECT_EQ(c.command({"GET", "resque:delayed:50"}).string(), "not a list");  // kept
  EXPECT_TRUE(c.command({"ZSCORE", "resque:delayed_queue_schedule", "50"}).is_nil());
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("resque:delayed:50 is not a list"), std::string::npos) << errors[0];
}

TEST(SchedulerPromotion, VetoedPromotionIsDeferredThenPromoted) {
  RedisServer server;
  Connection c(server.options());
  auto gate = std::make_shared<GatePlugin>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("Locked", [](const Job&) {}, {gate});
  Queue q(server.options());
  q.enqueue_at(std::chrono::system_clock::now() - std::chrono::seconds(2), "q", "Locked",
               Json::array({7}));
  std::vector<VetoedPromotion> vetoes;
  auto o = fast_scheduler("s1");
  o.events.on_promotion_vetoed = [&](const Job&, std::int64_t, VetoedPromotion a) {
    vetoes.push_back(a);
  };
  Scheduler s(server.options(), reg, o);
  EXPECT_EQ(s.run_once().promoted, 0u);
  EXPECT_EQ(gate->before, 1);
  ASSERT_EQ(vetoes, std::vector<VetoedPromotion>{VetoedPromotion::Defer});
  EXPECT_EQ(c.command({"EXISTS", "resque:queue:q"}).integer(), 0);
  // Re-delayed one veto_retry_delay later, with its timestamps: member.
  const auto members = c.command({"ZRANGE", "resque:delayed_queue_schedule", "0", "-1"}).strings();
  ASSERT_EQ(members.size(), 1u);
  const std::string item = R"({"class":"Locked","args":[7],"queue":"q"})";  // Ruby dialect
  EXPECT_EQ(c.command({"SMEMBERS", "resque:timestamps:" + item}).strings(),
            std::vector<std::string>{"delayed:" + members[0]});
  gate->veto = false;
  ASSERT_TRUE(eventually([&] { return s.run_once().promoted == 1; }));
  EXPECT_EQ(list(c, "resque:queue:q"),
            std::vector<std::string>{R"({"class":"Locked","args":[7]})"});
  EXPECT_EQ(gate->after, 1);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
}

// A pass judges "due" by the time of its first round: an item it deferred (to now + the retry
// delay) is not promoted again by the same pass once the clock has moved past that.
TEST(SchedulerPromotion, AnItemDeferredByAVetoIsNotTriedAgainInTheSamePass) {
  RedisServer server;
  Connection c(server.options());
  struct SlowVeto : Plugin {
    Connection* clock = nullptr;
    std::atomic<int> before{0};
    std::string name() const override { return "SlowVeto"; }
    bool before_enqueue(HookContext&) override {
      if (++before == 1) {
        // Hold the first veto until Redis' clock is past the deferred time (now + 1 s).
        const auto t0 = std::stoll(clock->command({"TIME"}).element(0).string());
        eventually(
            [&] { return std::stoll(clock->command({"TIME"}).element(0).string()) >= t0 + 2; });
      }
      return false;
    }
  };
  auto veto = std::make_shared<SlowVeto>();
  veto->clock = &c;
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("Locked", [](const Job&) {}, {veto});
  Queue q(server.options());
  q.enqueue_at(std::chrono::system_clock::now() - std::chrono::seconds(2), "q", "Locked",
               Json::array({7}));
  auto o = fast_scheduler("s1");
  o.veto_retry_delay = std::chrono::seconds(1);
  o.poll_interval = std::chrono::seconds(30);  // the pass's time budget: rounds are not cut short
  Scheduler s(server.options(), reg, o);
  EXPECT_EQ(s.run_once().promoted, 0u);
  EXPECT_EQ(veto->before, 1);
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 1);
}

TEST(SchedulerPromotion, VetoPolicyPushOrDropAndHooksOff) {
  RedisServer server;
  Connection c(server.options());
  auto gate = std::make_shared<GatePlugin>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("Locked", [](const Job&) {}, {gate});
  Queue q(server.options());
  const auto past = std::chrono::system_clock::now() - std::chrono::seconds(2);
  {
    q.enqueue_at(past, "q", "Locked", Json::array({1}));
    auto o = fast_scheduler("push");
    o.on_promotion_veto = VetoedPromotion::Push;
    Scheduler s(server.options(), reg, o);
    EXPECT_EQ(s.run_once().promoted, 1u);
    EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 1);
  }
  {
    q.enqueue_at(past, "q", "Locked", Json::array({2}));
    int dropped = 0;
    auto o = fast_scheduler("drop");
    o.on_promotion_veto = VetoedPromotion::Drop;
    o.events.on_promotion_vetoed = [&](const Job&, std::int64_t, VetoedPromotion a) {
      dropped += a == VetoedPromotion::Drop;
    };
    Scheduler s(server.options(), reg, o);
    EXPECT_EQ(s.run_once().promoted, 0u);
    EXPECT_EQ(dropped, 1);
    EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 1);
    EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
  }
  {
    q.enqueue_at(past, "q", "Locked", Json::array({3}));
    const int before = gate->before;
    auto o = fast_scheduler("nohooks");
    o.run_enqueue_hooks_on_promotion = false;
    Scheduler s(server.options(), reg, o);
    EXPECT_EQ(s.run_once().promoted, 1u);
    EXPECT_EQ(gate->before, before);
    EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 2);
  }
}

// ---- leadership ------------------------------------------------------------------------------

TEST(SchedulerLeader, OneLeaderLockValueIsNameReleasedOnStop) {
  RedisServer server;
  Connection c(server.options());
  int gained = 0, lost = 0;
  auto o1 = fast_scheduler("one");
  o1.events.on_leader_gained = [&](const std::string& n) { gained += n == "one"; };
  o1.events.on_leader_lost = [&](const std::string& n) { lost += n == "one"; };
  auto s1 = std::make_unique<Scheduler>(server.options(), nullptr, o1);
  Scheduler s2(server.options(), nullptr, fast_scheduler("two"));
  EXPECT_TRUE(s1->run_once().leader);
  EXPECT_FALSE(s2.run_once().leader);
  EXPECT_TRUE(s1->is_leader());
  EXPECT_FALSE(s2.is_leader());
  EXPECT_EQ(c.command({"GET", "resque:resque_scheduler_leader_lock"}).string(), "one");
  const auto ttl = c.command({"TTL", "resque:resque_scheduler_leader_lock"}).integer();
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 2);
  EXPECT_TRUE(s1->run_once().leader);  // renewal
  EXPECT_EQ(gained, 1);
  s1->stop();
  EXPECT_EQ(lost, 1);
  EXPECT_EQ(c.command({"EXISTS", "resque:resque_scheduler_leader_lock"}).integer(), 0);
  EXPECT_TRUE(s2.run_once().leader);
  s1.reset();  // destroying a non-leader must not touch the lock
  EXPECT_EQ(c.command({"GET", "resque:resque_scheduler_leader_lock"}).string(), "two");
}

TEST(SchedulerLeader, DeadLeaderIsReplacedAfterTheTtlAndCannotReleaseTheNewLock) {
  RedisServer server;
  Connection c(server.options());
  auto s1 = std::make_unique<Scheduler>(server.options(), nullptr, fast_scheduler("one"));
  Scheduler s2(server.options(), nullptr, fast_scheduler("two"));
  ASSERT_TRUE(s1->run_once().leader);
  // s1 stops polling (as if hung or killed): s2 takes over once the lock expires.
  EXPECT_FALSE(s2.run_once().leader);
  ASSERT_TRUE(eventually([&] { return s2.run_once().leader; }, std::chrono::seconds(5)));
  EXPECT_EQ(c.command({"GET", "resque:resque_scheduler_leader_lock"}).string(), "two");
  // s1 still believes it might lead until it polls; its release compares the value.
  s1.reset();
  EXPECT_EQ(c.command({"GET", "resque:resque_scheduler_leader_lock"}).string(), "two");
}

TEST(SchedulerLeader, RenewalOnlyByTheHolder) {
  RedisServer server;
  Connection c(server.options());
  int lost = 0;
  auto o = fast_scheduler("one");
  o.events.on_leader_lost = [&](const std::string&) { ++lost; };
  Scheduler s(server.options(), nullptr, o);
  ASSERT_TRUE(s.run_once().leader);
  c.command({"SET", "resque:resque_scheduler_leader_lock", "node-scheduler", "EX", "100"});
  EXPECT_FALSE(s.run_once().leader);
  EXPECT_EQ(lost, 1);
  EXPECT_EQ(c.command({"GET", "resque:resque_scheduler_leader_lock"}).string(), "node-scheduler");
  EXPECT_GT(c.command({"TTL", "resque:resque_scheduler_leader_lock"}).integer(), 50);
  s.stop();
  EXPECT_EQ(c.command({"GET", "resque:resque_scheduler_leader_lock"}).string(), "node-scheduler");
}

TEST(SchedulerLeader, RubyMasterLockMeansNoLeadership) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  q.enqueue_at(std::chrono::system_clock::now() - std::chrono::seconds(2), "q", "J");
  Scheduler s(server.options(), nullptr, fast_scheduler("one"));
  ASSERT_TRUE(s.run_once().leader);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 1);
  c.command({"SET", "resque:resque:resque_scheduler_master_lock", "localhost:4242", "EX", "180"});
  q.enqueue_at(std::chrono::system_clock::now() - std::chrono::seconds(2), "q", "J",
               Json::array({2}));
  const auto poll = s.run_once();
  EXPECT_FALSE(poll.leader);
  EXPECT_EQ(poll.promoted, 0u);
  EXPECT_FALSE(s.is_leader());
  // It stepped down: its lock is gone, the Ruby master does the promoting.
  EXPECT_EQ(c.command({"EXISTS", "resque:resque_scheduler_leader_lock"}).integer(), 0);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 1);
  c.command({"DEL", "resque:resque:resque_scheduler_master_lock"});
  EXPECT_EQ(s.run_once().promoted, 1u);
}

TEST(SchedulerLeader, BackgroundThreadLeadsAndPromotes) {
  RedisServer server;
  Connection c(server.options());
  Scheduler s(server.options(), nullptr, fast_scheduler("bg"));
  s.start();
  ASSERT_TRUE(eventually([&] { return s.is_leader(); }));
  Queue q(server.options());
  q.enqueue_at(std::chrono::system_clock::now(), "q", "J");
  EXPECT_TRUE(eventually([&] { return c.command({"LLEN", "resque:queue:q"}).integer() == 1; }));
  s.stop();
  EXPECT_FALSE(s.is_leader());
  EXPECT_EQ(c.command({"EXISTS", "resque:resque_scheduler_leader_lock"}).integer(), 0);
}

TEST(SchedulerLeader, StopFromACallbackAndStartAgain) {
  RedisServer server;
  Scheduler* self = nullptr;
  std::atomic<int> gained{0};
  auto o = fast_scheduler("cb");
  o.events.on_leader_gained = [&](const std::string&) {
    if (++gained == 1) self->stop();  // must neither deadlock nor throw
  };
  Scheduler s(server.options(), nullptr, o);
  self = &s;
  s.start();
  ASSERT_TRUE(eventually([&] { return gained == 1; }));
  s.start();  // joins the thread that stopped itself, starts a new one
  s.stop();
  EXPECT_FALSE(s.is_leader());
  // That start may have led once already (its thread can poll before stop() is called).
  const int before = gained;
  s.start();
  ASSERT_TRUE(eventually([&] { return gained == before + 1; }));
}

TEST(SchedulerLeader, RedisOutageIsReportedAndLeadershipLapses) {
  RedisServer server;
  std::atomic<int> errors{0}, lost{0};
  auto o = fast_scheduler("s1");
  o.events.on_error = [&](const std::string&) { ++errors; };
  o.events.on_leader_lost = [&](const std::string&) { ++lost; };
  Scheduler s(server.options(), nullptr, o);
  ASSERT_TRUE(s.run_once().leader);
  server.stop();
  EXPECT_FALSE(s.run_once().promoted);
  EXPECT_GE(errors, 1);
  // Without renewals the lock may have expired: after its TTL nobody may believe it leads.
  ASSERT_TRUE(eventually(
      [&] {
        s.run_once();
        return !s.is_leader() && lost == 1;
      },
      std::chrono::seconds(10)));
  server.start();
  EXPECT_TRUE(eventually([&] { return s.run_once().leader; }));
}

// ---- dead workers ----------------------------------------------------------------------------

namespace {
// Writes the keys a resque-cpp worker leaves when it dies mid-job.
void seed_dead_cpp_worker(Connection& c, const std::string& id, const std::string& name,
                          const std::string& payload, std::int64_t beat) {
  const auto tp = std::chrono::system_clock::time_point(std::chrono::seconds(beat));
  c.command({"SADD", "resque:workers", id});
  c.command({"SET", "resque:worker:" + id + ":started", detail::ruby_started(tp)});
  c.command({"HSET", "resque:workers:heartbeat", id, detail::iso_offset(tp)});
  c.command({"SET", "resque:worker:ping:" + name,
             Json({{"time", beat}, {"name", name}, {"queues", "exports"}}).dump()});
  c.command({"RPUSH", "resque:inflight:" + id, payload});
  c.command({"SET", "resque:worker:" + id,
             R"({"queue":"exports","run_at":"2026-01-01T00:00:00Z","payload":)" + payload + "}"});
  c.command({"SET", "resque:stat:processed:" + id, "3"});
}
}  // namespace

TEST(SchedulerRecovery, DeadResqueCppWorkerJobGoesBackToTheHead) {
  RedisServer server;
  Connection c(server.options());
  const std::int64_t now = redis_now(c);
  const std::string job_a = R"({"class":"ExportJob","queue":"exports","args":[1]})";
  const std::string job_b = R"({"class":"ExportJob","queue":"exports","args":[2]})";
  c.command({"RPUSH", "resque:queue:exports", job_b});
  seed_dead_cpp_worker(c, "deadhost:10:exports", "deadhost:10", job_a, now - 60);
  // A live one, beating now, mid-job too: left alone.
  seed_dead_cpp_worker(c, "livehost:11:exports", "livehost:11", job_b, now);
  std::vector<RecoveredWorker> seen;
  auto o = fast_scheduler("s1");
  // Far above the live worker's age however slow the machine, far below the dead one's.
  o.dead_worker_threshold = std::chrono::seconds(30);
  o.events.on_worker_recovered = [&](const RecoveredWorker& w) { seen.push_back(w); };
  Scheduler s(server.options(), nullptr, o);
  EXPECT_EQ(s.run_once().workers_recovered, 1u);
  EXPECT_EQ(list(c, "resque:queue:exports"), (std::vector<std::string>{job_a, job_b}));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].worker_id, "deadhost:10:exports");
  EXPECT_EQ(seen[0].kind, RecoveredWorker::Kind::ResqueCpp);
  EXPECT_GE(seen[0].silent_for, 60);
  EXPECT_EQ(seen[0].requeued, std::vector<std::string>{job_a});
  EXPECT_TRUE(seen[0].failed.empty());
  // Every key of the dead worker is gone; the live one's are all there.
  for (const auto& k : all_keys(c)) EXPECT_EQ(k.find("deadhost"), std::string::npos) << k;
  EXPECT_EQ(c.command({"SMEMBERS", "resque:workers"}).strings(),
            std::vector<std::string>{"livehost:11:exports"});
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:livehost:11:exports"}).integer(), 1);
  EXPECT_EQ(c.command({"GET", Keys("resque").recovered(job_a)}).integer(), 1);
  EXPECT_GT(c.command({"TTL", Keys("resque").recovered(job_a)}).integer(), 3600);
  EXPECT_EQ(s.run_once().workers_recovered, 0u);
}

TEST(SchedulerRecovery, OrphanedInFlightListIsRecovered) {
  // A Ruby worker's pruning unregistered a dead resque-cpp worker but knows nothing of inflight.
  RedisServer server;
  Connection c(server.options());
  const std::string job = R"({"class":"J","queue":"exports","args":[]})";
  c.command({"RPUSH", "resque:inflight:gone:1:exports", job});
  Scheduler s(server.options(), nullptr, fast_scheduler("s1"));
  EXPECT_EQ(s.run_once().workers_recovered, 1u);
  EXPECT_EQ(list(c, "resque:queue:exports"), std::vector<std::string>{job});
  EXPECT_EQ(c.command({"EXISTS", "resque:inflight:gone:1:exports"}).integer(), 0);
}

TEST(SchedulerRecovery, AJobThatKeepsKillingWorkersEndsInFailed) {
  RedisServer server;
  Connection c(server.options());
  const std::string job = R"({"class":"Poison","queue":"exports","args":["x"]})";
  auto o = fast_scheduler("s1");
  o.max_recoveries = 2;
  Scheduler s(server.options(), nullptr, o);
  for (int death = 1; death <= 3; ++death) {
    c.command({"DEL", "resque:queue:exports"});
    seed_dead_cpp_worker(c, "h:" + std::to_string(death) + ":exports", "h:" + std::to_string(death),
                         job, redis_now(c) - 100);
    EXPECT_EQ(s.run_once().workers_recovered, 1u);
    if (death <= 2) {
      EXPECT_EQ(list(c, "resque:queue:exports"), std::vector<std::string>{job});
      EXPECT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 0);
    }
  }
  EXPECT_EQ(c.command({"EXISTS", "resque:queue:exports"}).integer(), 0);
  ASSERT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 1);
  const std::string raw = c.command({"LINDEX", "resque:failed", "0"}).string();
  // The payload is embedded byte for byte.
  EXPECT_NE(raw.find(R"("payload":)" + job), std::string::npos);
  const Json f = Json::parse(raw);
  EXPECT_EQ(keys_of(f), kFailureFields);
  EXPECT_EQ(f["exception"], "resque::WorkerDied");
  EXPECT_NE(f["error"].get<std::string>().find("died while performing it 3 times"),
            std::string::npos);
  EXPECT_EQ(f["worker"], "h:3:exports");
  EXPECT_EQ(f["queue"], "exports");
  EXPECT_EQ(c.command({"GET", "resque:stat:failed"}).integer(), 1);
  EXPECT_EQ(c.command({"EXISTS", Keys("resque").recovered(job)}).integer(), 0);
}

TEST(SchedulerRecovery, DeadRubyWorkerIsPrunedAsRubyDoesFixture09) {
  RedisServer server;
  Connection c(server.options());
  const std::string id = "deadhost:4242:exports";
  c.command({"SADD", "resque:workers", id});
  c.command(
      {"SET", "resque:worker:" + id,
       R"({"queue":"exports","run_at":"2026-01-01T00:00:00Z","payload":{"class":"ExportJob","args":[42,"a@b.pt"]}})"});
  c.command({"SET", "resque:worker:" + id + ":started", "2026-01-01 00:00:00 +0000"});
  c.command({"HSET", "resque:workers:heartbeat", id, "2026-01-01T00:00:00+00:00"});
  // A Ruby worker silent for 100 s only: Ruby's own threshold (300 s) is respected.
  const auto recent =
      std::chrono::system_clock::time_point(std::chrono::seconds(redis_now(c) - 100));
  c.command({"SADD", "resque:workers", "slowhost:1:exports"});
  c.command({"HSET", "resque:workers:heartbeat", "slowhost:1:exports", detail::iso_offset(recent)});
  std::vector<RecoveredWorker> seen;
  auto o = fast_scheduler("s1");
  o.events.on_worker_recovered = [&](const RecoveredWorker& w) { seen.push_back(w); };
  Scheduler s(server.options(), nullptr, o);
  EXPECT_EQ(s.run_once().workers_recovered, 1u);
  const Json fixture = read_fixture("ruby/09-dead-worker-pruned.json");
  const std::string expected = fixture["resque:failed"]["value"][0].get<std::string>();
  std::string got = c.command({"LINDEX", "resque:failed", "0"}).string();
  // Identical to Ruby's record but for the time it was written.
  const std::string ruby_time = Json::parse(expected)["failed_at"].get<std::string>();
  const std::string our_time = Json::parse(got)["failed_at"].get<std::string>();
  got.replace(got.find(our_time), our_time.size(), ruby_time);
  EXPECT_EQ(got, expected);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, RecoveredWorker::Kind::Ruby);
  EXPECT_EQ(seen[0].failed,
            std::vector<std::string>{R"({"class":"ExportJob","args":[42,"a@b.pt"]})"});
  EXPECT_EQ(c.command({"SMEMBERS", "resque:workers"}).strings(),
            std::vector<std::string>{"slowhost:1:exports"});
  EXPECT_EQ(c.command({"HKEYS", "resque:workers:heartbeat"}).strings(),
            std::vector<std::string>{"slowhost:1:exports"});
  EXPECT_EQ(
      c.command({"EXISTS", "resque:worker:" + id, "resque:worker:" + id + ":started"}).integer(),
      0);
  EXPECT_EQ(c.command({"EXISTS", "resque:stat:failed"}).integer(), 0);  // Ruby does not count it
  EXPECT_EQ(c.command({"EXISTS", "resque:pruning_dead_workers_in_progress"}).integer(), 0);
}

TEST(SchedulerRecovery, DeadNodeWorkerJobGoesToFailedLikeForceCleanWorker) {
  RedisServer server;
  Connection c(server.options());
  load_fixture(c, read_fixture("node/04_worker_mid_job.json"));
  // Past node's own stuck-worker timeout (3600 s), our default for node workers.
  const std::int64_t old = redis_now(c) - 7200;
  c.command({"SET", "resque:worker:ping:vm:10049",
             R"({"time":)" + std::to_string(old) + R"(,"name":"vm:10049","queues":"exports"})"});
  c.command({"SET", "resque:stat:processed:vm:10049", "5"});
  std::vector<RecoveredWorker> seen;
  auto o = fast_scheduler("s1");
  o.events.on_worker_recovered = [&](const RecoveredWorker& w) { seen.push_back(w); };
  Scheduler s(server.options(), nullptr, o);
  EXPECT_EQ(s.run_once().workers_recovered, 1u);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, RecoveredWorker::Kind::Node);
  EXPECT_EQ(seen[0].worker_id, "vm:10049:exports");
  const Json f = failure_at(c, 0);
  EXPECT_EQ(keys_of(f), kFailureFields);
  EXPECT_EQ(f["exception"], "Resque::PruneDeadWorkerDirtyExit");
  EXPECT_EQ(f["error"],
            "Worker vm:10049:exports did not gracefully exit while processing ExportJob");
  EXPECT_EQ(f["payload"],
            Json::parse(R"({"class":"ExportJob","args":[42,"a@b.pt"],"queue":"exports"})"));
  EXPECT_EQ(f["queue"], "exports");
  EXPECT_EQ(c.command({"GET", "resque:stat:failed"}).integer(), 1);  // node counts it
  EXPECT_EQ(all_keys(c),
            (std::set<std::string>{"resque:connection_test_key", "resque:queues", "resque:failed",
                                   "resque:stat:failed", "resque:resque_scheduler_leader_lock"}));
}

TEST(SchedulerRecovery, AWorkerThatBeatsAfterBeingJudgedDeadIsLeftAlone) {
  // White box: the recovery script re-checks what the scan saw.
  RedisServer server;
  Connection c(server.options());
  const std::string job = R"({"class":"J","queue":"exports","args":[]})";
  seed_dead_cpp_worker(c, "h:1:exports", "h:1", job, 1000);
  const std::string seen_hb =
      c.command({"HGET", "resque:workers:heartbeat", "h:1:exports"}).string();
  c.command({"HSET", "resque:workers:heartbeat", "h:1:exports", "2030-01-01T00:00:00+00:00"});
  const std::string ping = c.command({"GET", "resque:worker:ping:h:1"}).string();
  const std::string status = c.command({"GET", "resque:worker:h:1:exports"}).string();
  const Keys keys("resque");
  protocol::RecoverArgs a;
  a.heartbeat = seen_hb;
  a.ping = ping;
  a.status = status;
  a.counter_ttl = 60;
  a.items.push_back({job, "exports", "{}"});
  EXPECT_TRUE(protocol::recover_worker(c, keys, protocol::WorkerKeys(keys, "h:1:exports", "h:1"), a)
                  .changed);
  EXPECT_EQ(c.command({"LLEN", "resque:inflight:h:1:exports"}).integer(), 1);
  EXPECT_EQ(c.command({"EXISTS", "resque:queue:exports"}).integer(), 0);
}

// ---- recurring -------------------------------------------------------------------------------

TEST(SchedulerRecurring, EveryFiresAndRecordsTheFireLikeRuby) {
  RedisServer server;
  Connection c(server.options());
  std::vector<std::string> fired;
  auto o = fast_scheduler("s1");
  o.events.on_schedule_fired = [&](const std::string& n, const Job&) { fired.push_back(n); };
  Scheduler s(server.options(), nullptr, o);
  s.add_every("tick", std::chrono::seconds(1), "ticks", "TickJob", Json::array({1}));
  ASSERT_TRUE(eventually([&] { return s.run_once().schedules_fired == 1; }));
  EXPECT_EQ(fired, std::vector<std::string>{"tick"});
  EXPECT_EQ(list(c, "resque:queue:ticks"),
            std::vector<std::string>{R"({"class":"TickJob","args":[1]})"});
  const std::string rec = c.command({"HGET", "resque:delayed:last_enqueued_at", "tick"}).string();
  EXPECT_TRUE(std::regex_match(rec, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4})")))
      << rec;
  // In-memory schedules are not persisted.
  EXPECT_EQ(c.command({"EXISTS", "resque:persistent_schedules"}).integer(), 0);
  EXPECT_EQ(s.schedules().count("tick"), 1u);
}

TEST(SchedulerRecurring, ARunMissedWhileNobodyLedFiresOnce) {
  RedisServer server;
  Connection c(server.options());
  const std::int64_t now = redis_now(c);
  auto ruby_time = [](std::int64_t t) {
    return detail::ruby_started(std::chrono::system_clock::time_point(std::chrono::seconds(t)));
  };
  // Last fired 1 h ago every 10 min (6 slots missed); a cron last fired 2 days ago.
  c.command({"HSET", "resque:delayed:last_enqueued_at", "ten", ruby_time(now - 3600)});
  c.command({"HSET", "resque:delayed:last_enqueued_at", "five", ruby_time(now - 2 * 86400)});
  Scheduler s(server.options(), nullptr, fast_scheduler("s1"));
  s.add_every("ten", std::chrono::seconds(600), "q", "Ten");
  s.add_cron("five", "*/5 * * * *", "q", "Five", Json::array(), "Europe/Lisbon");
  EXPECT_EQ(s.run_once().schedules_fired, 2u);
  EXPECT_EQ(s.run_once().schedules_fired, 0u);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 2);
  const auto rec =
      detail::parse_time(c.command({"HGET", "resque:delayed:last_enqueued_at", "ten"}).string());
  ASSERT_TRUE(rec.has_value());
  EXPECT_GE(std::chrono::duration_cast<std::chrono::seconds>(rec->time_since_epoch()).count(), now);
}

TEST(SchedulerRecurring, AFireIsSharedAcrossLeadersSoASlotNeverFiresTwice) {
  RedisServer server;
  Connection c(server.options());
  Scheduler s1(server.options(), nullptr, fast_scheduler("one"));
  Scheduler s2(server.options(), nullptr, fast_scheduler("two"));
  for (auto* s : {&s1, &s2}) s->add_every("tick", std::chrono::seconds(1), "q", "Tick");
  EXPECT_TRUE(s1.run_once().leader);
  EXPECT_FALSE(s2.run_once().leader);
  ASSERT_TRUE(eventually([&] { return s1.run_once().schedules_fired == 1; }));
  // Leadership moves to s2 right after the fire: the slot s1 fired is not fired again.
  c.command({"SET", "resque:resque_scheduler_leader_lock", "two", "EX", "2"});
  const auto p = s2.run_once();
  EXPECT_TRUE(p.leader);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(),
            1 + static_cast<long long>(p.schedules_fired));
  // Split brain (two leaders at once) cannot double-fire either: the record is compared.
  const std::string rec = c.command({"HGET", "resque:delayed:last_enqueued_at", "tick"}).string();
  auto fire = [&](const std::string& expected) {
    return protocol::schedule_fire(c, Keys("resque"), {"tick", expected, "new", "q", "{}"}) ? 1 : 0;
  };
  EXPECT_EQ(fire("stale"), 0);
  EXPECT_EQ(fire(rec), 1);
  EXPECT_EQ(fire(rec), 0);
}

TEST(SchedulerRecurring, RunsSchedulesPersistedByRubyFixture14) {
  RedisServer server;
  Connection c(server.options());
  load_fixture(c, read_fixture("ruby/14-recurring-schedule.json"));
  const std::int64_t now = redis_now(c);
  auto ruby_time = [](std::int64_t t) {
    return detail::ruby_started(std::chrono::system_clock::time_point(std::chrono::seconds(t)));
  };
  c.command({"HSET", "resque:delayed:last_enqueued_at", "echo_every", ruby_time(now - 60)});
  c.command(
      {"HSET", "resque:delayed:last_enqueued_at", "export_nightly", ruby_time(now - 2 * 86400)});
  std::vector<std::string> fired;
  auto o = fast_scheduler("s1");
  o.events.on_schedule_fired = [&](const std::string& n, const Job&) { fired.push_back(n); };
  Scheduler s(server.options(), nullptr, o);
  EXPECT_EQ(s.run_once().schedules_fired, 2u);
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<std::string>{"echo_every", "export_nightly"}));
  EXPECT_EQ(list(c, "resque:queue:echo"),
            std::vector<std::string>{R"({"class":"EchoJob","args":[]})"});
  EXPECT_EQ(list(c, "resque:queue:exports"),
            std::vector<std::string>{R"({"class":"ExportJob","args":[42,"a@b.pt"]})"});
  // Ruby's change notifications are left for Ruby's master to consume.
  EXPECT_EQ(c.command({"SCARD", "resque:schedules_changed"}).integer(), 2);
  const auto all = s.schedules();
  ASSERT_EQ(all.count("export_nightly"), 1u);
  EXPECT_EQ(all.at("export_nightly")["description"], "nightly");
}

TEST(SchedulerRecurring, SetScheduleWritesWhatRubyWritesFixture14) {
  RedisServer server;
  Connection c(server.options());
  Scheduler s(server.options(), nullptr, fast_scheduler("s1"));
  Json nightly = Json::object();
  nightly["class"] = "ExportJob";
  nightly["cron"] = "0 3 * * *";
  nightly["queue"] = "exports";
  nightly["args"] = Json::array({42, "a@b.pt"});
  nightly["description"] = "nightly";
  nightly["persist"] = true;
  s.set_schedule("export_nightly", nightly);
  Json echo = Json::object();
  echo["class"] = "EchoJob";
  echo["every"] = "30s";
  echo["queue"] = "echo";
  s.set_schedule("echo_every", echo);
  const Json fixture = read_fixture("ruby/14-recurring-schedule.json");
  for (const char* name : {"export_nightly", "echo_every"}) {
    EXPECT_EQ(c.command({"HGET", "resque:persistent_schedules", name}).string(),
              fixture["resque:persistent_schedules"]["value"][name].get<std::string>());
    EXPECT_EQ(c.command({"SISMEMBER", "resque:schedules_changed", name}).integer(), 1);
  }
  // persist: false stays in memory, as in Ruby.
  Json memory_only = echo;
  memory_only["persist"] = false;
  s.set_schedule("local", memory_only);
  EXPECT_EQ(c.command({"HEXISTS", "resque:persistent_schedules", "local"}).integer(), 0);
  EXPECT_EQ(s.schedules().size(), 3u);
  s.remove_schedule("echo_every");
  s.remove_schedule("local");
  EXPECT_EQ(c.command({"HKEYS", "resque:persistent_schedules"}).strings(),
            std::vector<std::string>{"export_nightly"});
  EXPECT_EQ(s.schedules().size(), 1u);
  // Bad configs are refused with a reason.
  Json no_queue = Json::object();
  no_queue["cron"] = "* * * * *";
  EXPECT_THROW(s.set_schedule("x", no_queue), ConfigError);
  Json bad_cron = nightly;
  bad_cron["cron"] = "0 3 * *";
  EXPECT_THROW(s.set_schedule("x", bad_cron), ConfigError);
  Json no_timing = echo;
  no_timing.erase("every");
  EXPECT_THROW(s.set_schedule("x", no_timing), ConfigError);
  EXPECT_THROW(s.add_cron("x", "61 * * * *", "q", "J"), ConfigError);
  EXPECT_THROW(s.add_every("x", std::chrono::seconds(0), "q", "J"), ConfigError);
  EXPECT_EQ(c.command({"HLEN", "resque:persistent_schedules"}).integer(), 1);
}

TEST(SchedulerRecurring, EnvAndBrokenPersistedSchedules) {
  RedisServer server;
  Connection c(server.options());
  const std::int64_t now = redis_now(c);
  const std::string long_ago =
      detail::ruby_started(std::chrono::system_clock::time_point(std::chrono::seconds(now - 999)));
  c.command({"HSET", "resque:persistent_schedules", "prod_only",
             R"({"class":"P","every":"10s","queue":"q","rails_env":"production, staging"})"});
  c.command({"HSET", "resque:persistent_schedules", "dev_only",
             R"({"class":"D","every":"10s","queue":"q","env":"development"})"});
  c.command({"HSET", "resque:persistent_schedules", "broken", R"({"class":"B","cron":"nope"})"});
  for (const char* n : {"prod_only", "dev_only", "broken"})
    c.command({"HSET", "resque:delayed:last_enqueued_at", n, long_ago});
  std::vector<std::string> errors;
  auto o = fast_scheduler("s1");
  o.env = "staging";
  o.events.on_error = [&](const std::string& m) { errors.push_back(m); };
  Scheduler s(server.options(), nullptr, o);
  EXPECT_EQ(s.run_once().schedules_fired, 1u);
  EXPECT_EQ(list(c, "resque:queue:q"), std::vector<std::string>{R"({"class":"P","args":[]})"});
  ASSERT_EQ(errors.size(), 1u);  // reported once, not every poll
  EXPECT_NE(errors[0].find("broken"), std::string::npos);
  s.run_once();
  EXPECT_EQ(errors.size(), 1u);
}

// ---- bad input never stops the scheduler ------------------------------------------------------

TEST(SchedulerRobustness, ABrokenDelayedItemDoesNotBlockLaterOnes) {
  RedisServer server;
  Connection c(server.options());
  const std::int64_t now = redis_now(c);
  add_delayed(c, now - 20, std::string("\xff\xfe not json"));
  add_delayed(c, now - 10, R"({"class":"Good","queue":"q","args":[]})");
  Scheduler s(server.options(), nullptr, fast_scheduler("s1"));
  s.run_once();
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 1);
  ASSERT_EQ(c.command({"LLEN", "resque:failed"}).integer(), 1);
  const Json f = failure_at(c, 0);  // valid JSON, the bad bytes replaced
  EXPECT_EQ(f["exception"], "resque::EncodingError");
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 0);
}

TEST(SchedulerRobustness, AHugeCronStepIsAConfigErrorAndAPersistedOneStopsNothing) {
  RedisServer server;
  Connection c(server.options());
  Scheduler s(server.options(), nullptr, fast_scheduler("s1"));
  EXPECT_THROW(s.add_cron("x", "*/99999999999 * * * *", "q", "X"), ConfigError);
  // Written by another library straight into the hash: reported, and promotion goes on.
  c.command({"HSET", "resque:persistent_schedules", "broken",
             R"({"class":"X","cron":"*/99999999999 * * * *","queue":"q"})"});
  add_delayed(c, redis_now(c) - 5, R"({"class":"Good","queue":"q","args":[]})");
  s.run_once();
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 1);
}

TEST(SchedulerPromotion, HooksOfAPromotionThatDidNotHappenAreAborted) {
  // The item disappears between the hooks and the move (a concurrent del_delayed): whatever
  // before_enqueue took is given back through enqueue_aborted, with the same context.
  struct Taker : Plugin {
    struct Took {
      bool yes = false;
    };
    std::atomic<int> aborted{0}, after{0};
    std::string name() const override { return "Taker"; }
    bool before_enqueue(HookContext& ctx) override {
      ctx.state<Took>().yes = true;
      // Simulates the race: somebody removes the delayed item right now.
      ctx.redis.command({"DEL", ctx.keys.key("delayed:" + std::to_string(ts))});
      return true;
    }
    void enqueue_aborted(HookContext& ctx) override {
      if (ctx.find_state<Took>() != nullptr && ctx.state<Took>().yes) ++aborted;
    }
    void after_enqueue(HookContext&) override { ++after; }
    std::int64_t ts = 0;
  };
  RedisServer server;
  Connection c(server.options());
  auto taker = std::make_shared<Taker>();
  taker->ts = redis_now(c) - 5;
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("Taken", [](const Job&) {}, {taker});
  add_delayed(c, taker->ts, R"({"class":"Taken","queue":"q","args":[]})");
  Scheduler s(server.options(), reg, fast_scheduler("s1"));
  s.run_once();
  EXPECT_EQ(taker->aborted, 1);
  EXPECT_EQ(taker->after, 0);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:q"}).integer(), 0);
}

TEST(SchedulerRecurring, HooksOfAFireAnotherSchedulerWonAreAborted) {
  // Between this scheduler's hooks and its fire, another records the same slot (simulated by
  // the hook itself): the fire does not happen, and what the hook took is given back.
  struct Taker : Plugin {
    std::atomic<int> aborted{0}, after{0};
    std::string name() const override { return "Taker"; }
    bool before_enqueue(HookContext& ctx) override {
      ctx.redis.command({"HSET", ctx.keys.key("delayed:last_enqueued_at"), "tick", "other"});
      return true;
    }
    void enqueue_aborted(HookContext&) override { ++aborted; }
    void after_enqueue(HookContext&) override { ++after; }
  };
  RedisServer server;
  Connection c(server.options());
  auto taker = std::make_shared<Taker>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("TickJob", [](const Job&) {}, {taker});
  Scheduler s(server.options(), reg, fast_scheduler("s1"));
  s.add_every("tick", std::chrono::seconds(1), "ticks", "TickJob");
  ASSERT_TRUE(eventually([&] {
    s.run_once();
    return taker->aborted >= 1;
  }));
  EXPECT_EQ(taker->after, 0);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:ticks"}).integer(), 0);
}
