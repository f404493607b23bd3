// Delayed jobs and persisted schedules with real resque-scheduler 5.0.0 (and Resque 3.0.0) on
// one Redis (label `ruby`): each side's delayed jobs promoted and performed by the other, each
// side's persisted schedules run by the other, Ruby's look-ups of delayed jobs. Without the Ruby
// peer (RESQUE_RUBY_PEER_DIR, see scripts/ruby-peer.sh) every test skips, saying how to get it.
//
// Rows of issue 11's table are marked "issue 11 row".
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "resque/worker.hpp"
#include "ruby_peer.hpp"

using namespace resque;
using namespace resque::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::system_clock;

// Redis' clock (the one every scheduler goes by), epoch seconds.
std::int64_t redis_now(Connection& c) {
  return std::stoll(c.command({"TIME"}).element(0).string());
}

Clock::time_point at_seconds(std::int64_t s) {
  return Clock::time_point(std::chrono::seconds(s));
}

SchedulerOptions fast_scheduler() {
  SchedulerOptions o;
  o.poll_interval = 50ms;
  return o;
}

WorkerOptions fast(std::vector<std::string> queues) {
  WorkerOptions o;
  o.queues = std::move(queues);
  o.poll_interval = 20ms;
  return o;
}

long long llen(Connection& c, const std::string& key) {
  return c.command({"LLEN", key}).integer();
}

}  // namespace

// ---- delayed jobs, both ways ---------------------------------------------------------------

// Our enqueue_at; Ruby's scheduler promotes it (its clock set to the job's time); a Ruby worker
// performs it.
TEST(RubyScheduler, CppEnqueueAtRubySchedulerPromotesRubyWorkerPerforms) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  const std::int64_t when = redis_now(c) + 3600;
  ASSERT_TRUE(q.enqueue_at(at_seconds(when), "exports", "ExportJob", {42, "a@b.pt"}));
  ASSERT_TRUE(q.enqueue_at(at_seconds(when + 10), "exports", "ExportJob", {43, "later"}));
  const Json pass = ruby_ok("scheduler_once.rb", {std::to_string(when)}, server.port());
  EXPECT_EQ(pass["master"], true) << pass.dump();
  EXPECT_EQ(pass["delayed_left"], 1) << pass.dump();
  EXPECT_EQ(q.timestamps(), std::vector<std::int64_t>{when + 10});
  EXPECT_EQ(ruby_ok("work_once.rb", {"exports"}, server.port())["processed"], 1);
  const auto performed = ruby_performed(c);
  ASSERT_EQ(performed.size(), 1u);
  EXPECT_EQ(performed[0]["class"], "ExportJob");
  EXPECT_EQ(performed[0]["queue"], "exports");
  EXPECT_EQ(performed[0]["args"], Json::array({42, "a@b.pt"}));
}

// Ruby's enqueue_at; our Scheduler promotes it when it is due; a C++ worker performs it.
TEST(RubyScheduler, RubyEnqueueAtOurSchedulerPromotesCppWorkerPerforms) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  // Far enough ahead that the job is still delayed when enqueue_at.rb runs on a loaded machine
  // (resque-scheduler enqueues a due time at once).
  const std::int64_t when = redis_now(c) + 5;
  ruby_ok("enqueue_at.rb", {std::to_string(when), "exports", "ExportJob", R"([42,"a@b.pt"])"},
          server.port());
  ruby_ok("enqueue_at.rb", {std::to_string(when + 3600), "exports", "ExportJob", R"([43,"later"])"},
          server.port());
  // Ours finds Ruby's delayed jobs.
  EXPECT_EQ(q.scheduled_at("exports", "ExportJob", {42, "a@b.pt"}),
            std::vector<std::int64_t>{when});
  EXPECT_EQ(q.timestamps(), (std::vector<std::int64_t>{when, when + 3600}));

  Scheduler s(server.options(), nullptr, fast_scheduler());
  ASSERT_TRUE(eventually(
      [&] {
        s.run_once();
        return llen(c, "resque:queue:exports") == 1;
      },
      30s));
  // Pushed as Ruby's scheduler pushes it: {"class","args"}.
  EXPECT_EQ(c.command({"LINDEX", "resque:queue:exports", "0"}).str(),
            R"({"class":"ExportJob","args":[42,"a@b.pt"]})");
  auto seen = std::make_shared<std::vector<std::string>>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define("ExportJob", [seen](std::int64_t id, std::string email) {
    seen->push_back(std::to_string(id) + " " + email);
  });
  Worker w(server.options(), reg, fast({"exports"}));
  w.start();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  w.stop();
  EXPECT_EQ(*seen, std::vector<std::string>{"42 a@b.pt"});
  // The later one is still delayed, and Ruby still finds it.
  EXPECT_EQ(q.timestamps(), std::vector<std::int64_t>{when + 3600});
  EXPECT_EQ(ruby_ok("delayed_op.rb", {"scheduled_at", "exports", "ExportJob", R"([43,"later"])"},
                    server.port())["result"],
            Json::array({when + 3600}));
}

// Ruby's enqueue_in, found and removed by our del_delayed; Ruby agrees it is gone.
TEST(RubyScheduler, RubyDelayedJobRemovedByCpp) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Queue q(server.options());
  ruby_ok("enqueue_in.rb", {"3600", "mail", "MailJob", R"([1,"x"])"}, server.port());
  ASSERT_EQ(q.scheduled_at("mail", "MailJob", {1, "x"}).size(), 1u);
  EXPECT_EQ(q.del_delayed("mail", "MailJob", {1, "x"}).size(), 1u);
  EXPECT_TRUE(q.timestamps().empty());
  EXPECT_EQ(ruby_ok("delayed_op.rb", {"delayed?", "mail", "MailJob", R"([1,"x"])"},
                    server.port())["result"],
            false);
}

// issue 11 row: Resque.remove_delayed, scheduled_at and delayed? on a C++ delayed job look for
// timestamps:{"class","args","queue"}, which the default `ruby` dialect writes.
TEST(RubyScheduler, RubyFindsAndRemovesCppDelayedJob) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  const std::int64_t when = redis_now(c) + 3600;
  ASSERT_TRUE(q.enqueue_at(at_seconds(when), "mail", "MailJob", {1, "x"}));
  const std::string args = R"([1,"x"])";
  EXPECT_EQ(
      ruby_ok("delayed_op.rb", {"scheduled_at", "mail", "MailJob", args}, server.port())["result"],
      Json::array({when}));
  EXPECT_EQ(
      ruby_ok("delayed_op.rb", {"delayed?", "mail", "MailJob", args}, server.port())["result"],
      true);
  EXPECT_EQ(ruby_ok("delayed_op.rb", {"remove_delayed", "mail", "MailJob", args},
                    server.port())["result"],
            1);
  // (Ruby leaves the emptied timestamp in the schedule for its scheduler to clean up.)
  EXPECT_TRUE(q.delayed_at(when).empty());
  EXPECT_TRUE(q.scheduled_at("mail", "MailJob", {1, "x"}).empty());
}

// ---- persisted schedules, both ways --------------------------------------------------------

// Resque.set_schedule(persist: true) in Ruby; our Scheduler runs it.
TEST(RubyScheduler, RubyPersistedScheduleRunByOurScheduler) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  ruby_ok("set_schedule.rb",
          {"echo_every", R"({"class":"EchoJob","every":"1s","queue":"rec","args":["r"]})"},
          server.port());
  Scheduler s(server.options(), nullptr, fast_scheduler());
  const auto schedules = s.schedules();
  ASSERT_EQ(schedules.count("echo_every"), 1u);
  EXPECT_EQ(schedules.at("echo_every")["class"], "EchoJob");
  s.start();
  ASSERT_TRUE(eventually([&] { return q.length("rec") >= 1; }, 20s));
  s.stop();
  const auto jobs = q.queued("rec");
  ASSERT_FALSE(jobs.empty());
  EXPECT_EQ(jobs[0].klass, "EchoJob");
  EXPECT_EQ(jobs[0].args, Json::array({"r"}));
  // A Ruby worker performs what our Scheduler enqueued.
  EXPECT_GE(ruby_ok("work_once.rb", {"rec"}, server.port())["processed"], 1);
  const auto performed = ruby_performed(c);
  ASSERT_FALSE(performed.empty());
  EXPECT_EQ(performed[0]["class"], "EchoJob");
  EXPECT_EQ(performed[0]["args"], Json::array({"r"}));
  // Ruby removes it; we no longer see it.
  ruby_ok("set_schedule.rb", {"--remove", "echo_every"}, server.port());
  EXPECT_EQ(s.schedules().count("echo_every"), 0u);
}

// Our set_schedule; Ruby's scheduler (the real Resque::Scheduler.run loop) runs it.
TEST(RubyScheduler, OurPersistedScheduleRunByRubyScheduler) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  Scheduler s(server.options(), nullptr, fast_scheduler());
  s.set_schedule("echo_every", Json{{"class", "EchoJob"},
                                    {"every", "1s"},
                                    {"queue", "rec"},
                                    {"args", Json::array({"cpp"})},
                                    {"description", "from C++"}});
  // The scheduler loop runs for 4 s (polling every 0.2 s), then stops itself.
  const RubyResult run = run_ruby("scheduler_run.rb", {"4", "0.2"}, server.port());
  EXPECT_EQ(run.status, 0) << run.output;
  const auto jobs = q.queued("rec");
  ASSERT_FALSE(jobs.empty()) << run.output;
  for (const auto& j : jobs) {
    EXPECT_EQ(j.klass, "EchoJob");
    EXPECT_EQ(j.args, Json::array({"cpp"}));
  }
  // Ruby recorded the fires where our Scheduler looks for them.
  EXPECT_FALSE(c.command({"HGET", "resque:delayed:last_enqueued_at", "echo_every"}).is_nil());
}
