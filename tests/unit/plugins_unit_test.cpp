// Plugins without Redis: node-resque's key rules, backoff arithmetic, option checks, and the
// hook runner's order, veto and abort semantics.
#include <gtest/gtest.h>

#include "resque/failure.hpp"

#include <stdexcept>

#include "hooks.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/plugins.hpp"
#include "resque/queue.hpp"

using namespace resque;
using namespace std::chrono_literals;
using plugins::Retry;

TEST(RetryKeys, ArgsKeyFollowsNodeRules) {
  EXPECT_EQ(Retry::args_key(Json::parse(R"([1,"x y",{"a":1}])")), R"(1-x y-{"a":1})");
  EXPECT_EQ(Retry::args_key(Json::array()), "");
  EXPECT_EQ(Retry::args_key(Json::parse(R"([null,true,1.5,1e21,[1,2]])")),
            "null-true-1.5-1e+21-[1,2]");
  EXPECT_EQ(Retry::args_key(Json::parse(R"([42,"a@b.pt"])")), "42-a@b.pt");
  // node holds numbers as doubles: beyond 2^53 they print rounded.
  EXPECT_EQ(Retry::args_key(Json::parse("[12345678901234567890]")), "12345678901234567000");
  EXPECT_EQ(Retry::args_key(Json::parse("[-7, 9007199254740992]")), "-7-9007199254740992");
}

// Expected values printed by node-resque 9.7.1's Retry plugin (plugin_retry_keys.js); the
// interop test compares with a live node for more inputs.
TEST(RetryKeys, KeysMatchNodeResque) {
  Keys k;
  auto counter = [&](const char* args) {
    return k.retry_counter("ExportJob", Retry::args_key(Json::parse(args)));
  };
  auto failure = [&](const char* args) {
    return k.retry_failure("ExportJob", Retry::args_key(Json::parse(args)));
  };
  EXPECT_EQ(counter(R"([1,"x y",{"a":1}])"), R"(resque:resque-retry:ExportJob:1-xy-{"a":1})");
  EXPECT_EQ(failure(R"([1,"x y",{"a":1}])"),
            R"(resque:failure-resque-retry:ExportJob:1-xy-{"a":1})");
  EXPECT_EQ(counter("[]"), "resque:resque-retry:ExportJob");
  EXPECT_EQ(failure("[]"), "resque:failure-resque-retry:ExportJob:");
  EXPECT_EQ(counter(R"([" "])"), "resque:resque-retry:ExportJob");
  EXPECT_EQ(failure(R"([" "])"), "resque:failure-resque-retry:ExportJob:");
  // Only the first whitespace character goes, and U+00A0 counts as one.
  EXPECT_EQ(counter("[\"a\xc2\xa0"
                    "b c\"]"),
            "resque:resque-retry:ExportJob:ab c");
  EXPECT_EQ(counter(R"([42,"a@b.pt"])"), "resque:resque-retry:ExportJob:42-a@b.pt");
}

TEST(PluginKeys, LockKeysAreNodes) {
  Keys k;
  Job job{"ExportJob", "exports", Json::parse(R"([42,"a@b.pt"])"), Json::object()};
  plugins::QueueLock ql;
  plugins::JobLock jl;
  EXPECT_EQ(ql.lock_key(k, job), R"(resque:lock:ExportJob:exports:[42,"a@b.pt"])");
  EXPECT_EQ(jl.lock_key(k, job), R"(resque:workerslock:ExportJob:exports:[42,"a@b.pt"])");
  plugins::QueueLock::Options o;
  o.key = [](const Job& j) { return j.args[0].dump() + ":" + j.args[1].get<std::string>(); };
  EXPECT_EQ(plugins::QueueLock(o).lock_key(k, job), "resque:lock:ExportJob:exports:42:a@b.pt");
  EXPECT_EQ(plugins::ConcurrencyLimit(3).slot_key(k, job),
            "resque:resque-cpp:concurrency:ExportJob");
  EXPECT_EQ(plugins::QueueLock().lock_key(Keys("app"), job),
            R"(app:lock:ExportJob:exports:[42,"a@b.pt"])");
}

// Ruby 3.1's own output for these args (ruby -rjson -e 'a = JSON.parse(...); puts a.join("-"),
// a.to_s'), which resque-lock-timeout's identifier and resque-lock's key are built from.
TEST(RubyFormat, JoinAndInspectAreRubys) {
  const Json args = Json::parse(
      R"([1,2.0,1e20,1e-5,100.0,1e16,123456789.123,null,true,[1,[],[2,[3]]],)"
      R"({"a":1,"b":"x\"y","c":null,"d":[1]},-0.0,18446744073709551615,1.5e300,0.1,1e15,)"
      R"(9999999999999998.0,0.0001,{},1e14,0.00015,5e-324,false,-3])");
  EXPECT_EQ(plugins::ruby_join(args, "-"),
            "1-2.0-1.0e+20-1.0e-05-100.0-1.0e+16-123456789.123--true-1--2-3-"
            R"({"a"=>1, "b"=>"x\"y", "c"=>nil, "d"=>[1]})"
            "--0.0-18446744073709551615-1.5e+300-0.1-1.0e+15-9.999999999999998e+15-0.0001-{}-"
            "100000000000000.0-0.00015-5.0e-324-false--3");
  EXPECT_EQ(plugins::ruby_inspect(args),
            "[1, 2.0, 1.0e+20, 1.0e-05, 100.0, 1.0e+16, 123456789.123, nil, true, "
            R"([1, [], [2, [3]]], {"a"=>1, "b"=>"x\"y", "c"=>nil, "d"=>[1]}, -0.0, )"
            "18446744073709551615, 1.5e+300, 0.1, 1.0e+15, 9.999999999999998e+15, 0.0001, {}, "
            "100000000000000.0, 0.00015, 5.0e-324, false, -3]");
  // String#inspect: Ruby printed "s\#{x}\#$\#@#\\n\t\u0001\u007Fé\u0000\e\a\b\f\v\u2028".
  const Json s = Json::array({std::string("s#{x}#$#@#\\n\t\x01\x7f\xc3\xa9") +
                              std::string(1, '\0') + "\x1b\a\b\f\v\xe2\x80\xa8"});
  EXPECT_EQ(plugins::ruby_inspect(s),
            R"(["s\#{x}\#$\#@#\\n\t\u0001\u007Fé\u0000\e\a\b\f\v\u2028"])");
  EXPECT_EQ(plugins::ruby_join(Json::array(), "-"), "");
  EXPECT_EQ(plugins::ruby_inspect(Json::array()), "[]");
}

TEST(PluginKeys, RubyStylesUseTheRubyPluginsKeys) {
  Keys k;
  Job job{"ExportJob", "exports", Json::parse(R"([42,"a@b.pt",[1,null]])"), Json::object()};
  plugins::QueueLock::Options qo;
  qo.key_style = plugins::LockKeyStyle::ResqueLockTimeout;
  const plugins::QueueLock loner(qo);
  EXPECT_EQ(loner.lock_key(k, job), "resque:loner:lock:ExportJob:42-a@b.pt-1-");
  EXPECT_EQ(loner.run_lock_key(k, job), "resque:lock:ExportJob:42-a@b.pt-1-");
  EXPECT_EQ(loner.lock(k, job).options().blocked_by,
            std::vector<std::string>{"resque:lock:ExportJob:42-a@b.pt-1-"});
  qo.key = [](const Job& j) { return j.args[0].dump(); };  // Ruby's `identifier` override
  EXPECT_EQ(plugins::QueueLock(qo).lock_key(Keys("app"), job), "app:loner:lock:ExportJob:42");
  plugins::JobLock::Options jo;
  jo.key_style = plugins::LockKeyStyle::ResqueLockTimeout;
  jo.lock_timeout = 0s;  // Ruby's default: no timeout, value `true`
  const plugins::JobLock run(jo);
  EXPECT_EQ(run.lock_key(k, job), "resque:lock:ExportJob:42-a@b.pt-1-");
  EXPECT_EQ(run.lock(k, job).options().value, LockValue::RubyTrue);
  plugins::QueueLock::Options ro;
  ro.key_style = plugins::LockKeyStyle::ResqueLock;
  EXPECT_EQ(plugins::QueueLock(ro).lock_key(k, job),
            R"(resque:lock:ExportJob-[42, "a@b.pt", [1, nil]])");
  EXPECT_EQ(plugins::QueueLock(ro).lock(k, job).options().value, LockValue::RubyLockStamp);
  ro.key = [](const Job&) { return std::string("network-graph"); };  // Ruby's `lock` override
  EXPECT_EQ(plugins::QueueLock(ro).lock_key(k, job), "resque:network-graph");
  // resque-lock has no run lock; lock_timeout 0 means something only to resque-lock-timeout.
  jo.key_style = plugins::LockKeyStyle::ResqueLock;
  jo.lock_timeout = 60s;
  EXPECT_THROW(plugins::JobLock{jo}, ConfigError);
  ro.lock_timeout = 0s;
  EXPECT_THROW(plugins::QueueLock{ro}, ConfigError);
  plugins::JobLock::Options node0;
  node0.lock_timeout = 0s;
  EXPECT_THROW(plugins::JobLock{node0}, ConfigError);
}

TEST(RetryDelays, FixedListAndExponential) {
  Retry::Options o;
  o.retry_delay = 1500ms;
  EXPECT_EQ(Retry(o).delay_for(0), 1500ms);
  EXPECT_EQ(Retry(o).delay_for(5), 1500ms);
  EXPECT_EQ(Retry(o).keys_ttl_seconds(), 1500);

  o.backoff = {100ms, 1000ms, 10000ms};
  Retry list(o);
  EXPECT_EQ(list.delay_for(0), 100ms);
  EXPECT_EQ(list.delay_for(1), 1000ms);
  EXPECT_EQ(list.delay_for(2), 10000ms);
  EXPECT_EQ(list.delay_for(9), 10000ms);  // clamped to the last entry, as node does
  EXPECT_EQ(list.keys_ttl_seconds(), 10000);

  Retry::Exponential e;
  e.base = 1000ms;
  e.factor = 2;
  e.cap = 5000ms;
  e.jitter = 0;
  o.exponential = e;
  Retry exact(o);
  EXPECT_EQ(exact.delay_for(0), 1000ms);
  EXPECT_EQ(exact.delay_for(1), 2000ms);
  EXPECT_EQ(exact.delay_for(2), 4000ms);
  EXPECT_EQ(exact.delay_for(3), 5000ms);
  EXPECT_EQ(exact.delay_for(500), 5000ms);  // no overflow past the cap

  e.jitter = 0.5;
  o.exponential = e;
  Retry jittered(o);
  bool varied = false;
  for (int i = 0; i < 200; ++i) {
    const auto d = jittered.delay_for(2);
    EXPECT_GE(d, 2000ms);
    EXPECT_LE(d, 4000ms);
    if (d != jittered.delay_for(2)) varied = true;
  }
  EXPECT_TRUE(varied);
}

TEST(PluginOptions, InvalidOptionsThrowConfigError) {
  EXPECT_THROW(plugins::ConcurrencyLimit(0), ConfigError);
  plugins::ConcurrencyLimit::Options c;
  c.slot_ttl = 0ms;
  EXPECT_THROW(plugins::ConcurrencyLimit{c}, ConfigError);
  plugins::QueueLock::Options q;
  q.lock_timeout = std::chrono::seconds(0);
  EXPECT_THROW(plugins::QueueLock{q}, ConfigError);
  Retry::Options r;
  Retry::Exponential e;
  e.jitter = 2;
  r.exponential = e;
  EXPECT_THROW(Retry{r}, ConfigError);
  r = {};
  r.retry_limit = -3;  // counts as 1 (no retry), like node's falsy retryLimit
  EXPECT_EQ(Retry(r).options().retry_limit, 1);
}

namespace {
// Records every hook call as "<name>.<hook>".
struct Recorder : Plugin {
  Recorder(std::string n, std::vector<std::string>& log, bool veto = false, bool throws = false)
      : n_(std::move(n)), log_(log), veto_(veto), throws_(throws) {}
  std::string name() const override { return n_; }
  bool before_enqueue(HookContext&) override { return step("before_enqueue"); }
  bool before_perform(HookContext&) override { return step("before_perform"); }
  void after_perform(HookContext& ctx) override {
    log_.push_back(n_ + ".after_perform");
    if (throws_ && ctx.error == nullptr) throw std::runtime_error(n_ + " failed");
  }
  void enqueue_aborted(HookContext&) override { log_.push_back(n_ + ".enqueue_aborted"); }
  void perform_aborted(HookContext&) override { log_.push_back(n_ + ".perform_aborted"); }
  bool step(const char* hook) {
    log_.push_back(n_ + "." + hook);
    if (throws_) throw std::runtime_error(n_ + " failed");
    return !veto_;
  }
  std::string n_;
  std::vector<std::string>& log_;
  bool veto_, throws_;
};

struct HookFixture : ::testing::Test {
  ConnectionOptions opts;
  Connection conn{opts};
  Queue queue{opts};
  Keys keys;
  Job job{"J", "q", Json::array(), Json::object()};
  std::vector<std::string> log;
  JobDefinition def;
  HookContext ctx = HookContext::for_perform(job, conn, keys, queue, "w");
};
}  // namespace

TEST_F(HookFixture, VetoAbortsThePluginsThatPassedInReverseOrder) {
  def.plugins = {std::make_shared<Recorder>("A", log), std::make_shared<Recorder>("B", log),
                 std::make_shared<Recorder>("C", log, true), std::make_shared<Recorder>("D", log)};
  std::string vetoed_by;
  EXPECT_FALSE(detail::run_before_perform(&def, ctx, &vetoed_by));
  EXPECT_EQ(vetoed_by, "C");
  EXPECT_TRUE(ctx.skipped);
  EXPECT_EQ(log,
            (std::vector<std::string>{"A.before_perform", "B.before_perform", "C.before_perform",
                                      "B.perform_aborted", "A.perform_aborted"}));
  log.clear();
  EXPECT_FALSE(detail::run_before_enqueue(&def, ctx, &vetoed_by));
  EXPECT_EQ(log,
            (std::vector<std::string>{"A.before_enqueue", "B.before_enqueue", "C.before_enqueue",
                                      "B.enqueue_aborted", "A.enqueue_aborted"}));
}

TEST_F(HookFixture, ThrowingBeforeHookAbortsEarlierPluginsAndPropagates) {
  def.plugins = {std::make_shared<Recorder>("A", log),
                 std::make_shared<Recorder>("B", log, false, true)};
  EXPECT_THROW(detail::run_before_perform(&def, ctx), std::runtime_error);
  EXPECT_FALSE(ctx.skipped);
  EXPECT_EQ(
      log, (std::vector<std::string>{"A.before_perform", "B.before_perform", "A.perform_aborted"}));
}

TEST_F(HookFixture, EveryAfterPerformRunsAndAThrowBecomesTheError) {
  def.plugins = {std::make_shared<Recorder>("A", log, false, true),
                 std::make_shared<Recorder>("B", log)};
  detail::run_after_perform(&def, ctx);
  EXPECT_EQ(log, (std::vector<std::string>{"A.after_perform", "B.after_perform"}));
  ASSERT_TRUE(ctx.error);
  EXPECT_THROW(std::rethrow_exception(ctx.error), std::runtime_error);
}

TEST_F(HookFixture, NoopClearsTheErrorAndLogs) {
  std::vector<std::string> lines;
  plugins::Noop::Options o;
  o.log = [&](LogLevel, std::string_view s) { lines.emplace_back(s); };
  plugins::Noop noop(o);
  ctx.error = std::make_exception_ptr(std::runtime_error("boom"));
  noop.after_perform(ctx);
  EXPECT_FALSE(ctx.error);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("boom"), std::string::npos);
  EXPECT_NE(lines[0].find("std::runtime_error"), std::string::npos);
}

TEST_F(HookFixture, NamedConstructorsSetTheWorkerOnlyForPerformHooks) {
  EXPECT_EQ(ctx.worker_id, "w");
  auto enq = HookContext::for_enqueue(job, conn, keys, queue);
  EXPECT_TRUE(enq.worker_id.empty());
  EXPECT_FALSE(enq.error);
  EXPECT_FALSE(enq.skipped);
  EXPECT_TRUE(enq.re_enqueued_by.empty());
  EXPECT_EQ(&enq.job, &job);
}

TEST_F(HookFixture, StateIsTypedAndKeptPerType) {
  struct Mine {
    int n = 7;
  };
  struct Theirs {
    std::string s;
  };
  EXPECT_EQ(ctx.find_state<Mine>(), nullptr);
  EXPECT_EQ(ctx.state<Mine>().n, 7);  // default-constructed on first use
  ctx.state<Mine>().n = 42;
  ctx.state<Theirs>().s = "x";
  ASSERT_NE(ctx.find_state<Mine>(), nullptr);
  EXPECT_EQ(ctx.find_state<Mine>()->n, 42);
  EXPECT_EQ(ctx.state<Theirs>().s, "x");
  ctx.erase_state<Mine>();
  EXPECT_EQ(ctx.find_state<Mine>(), nullptr);
  EXPECT_EQ(ctx.state<Theirs>().s, "x");
  // The built-in plugins' states are distinct types too.
  ctx.state<plugins::JobLock::State>().held["k"] = "1";
  EXPECT_EQ(ctx.find_state<plugins::QueueLock::State>(), nullptr);
}

TEST(Errors, EveryTypeIsAResqueErrorNamedAsFailureRecordsNameIt) {
  EXPECT_EQ(describe_exception(std::make_exception_ptr(ArgumentError("a"))).type,
            "resque::ArgumentError");
  // The failure kind the scheduler writes is this type's name.
  EXPECT_EQ(describe_exception(std::make_exception_ptr(NoQueueError("q"))).type,
            failure_kind::kNoQueue);
  EXPECT_EQ(describe_exception(std::make_exception_ptr(NoQueueError("q"))).message, "q");
  EXPECT_THROW(throw NoQueueError("x"), JobError);
  EXPECT_THROW(throw ArgumentError("x"), Error);
}
