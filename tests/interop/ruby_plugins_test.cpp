// Ruby's lock plugins next to ours on one Redis (label `ruby`): resque-lock-timeout 0.4.5
// (`@loner` enqueue lock, LockTimeout run lock) and defunkt's resque-lock 1.1.0, loaded by the
// drivers in tests/interop/ruby with Resque 3.0.0, against resque-cpp's QueueLock and JobLock on
// the same job class. Without the Ruby peer (RESQUE_RUBY_PEER_DIR, see scripts/ruby-peer.sh)
// every test skips, saying how to get it.
//
// Facts from the plugins' sources these tests (and LockKeyStyle) rely on:
// - resque-lock-timeout (lib/resque/plugins/lock_timeout.rb): run lock key
//   `lock:<class>:<identifier>`, `@loner` enqueue lock `loner:lock:<class>:<identifier>`,
//   identifier = args.join('-'); with @lock_timeout > 0 the value is Time.now.to_i +
//   lock_timeout (no +1, no TTL) and a value whose to_i < now is taken over (SETNX, GET, GETSET);
//   with lock_timeout 0 (the default) SETNX `true`, never expiring. The loner check refuses an
//   enqueue while the run lock is held (value.to_i > now, or exists without a timeout).
//   around_perform_lock takes the run lock, then DELs the loner lock; a busy run lock drops
//   the job (lock_failed).
// - resque-lock (lib/resque/plugins/lock.rb): `lock:<class>-<args.to_s>` (Array#inspect),
//   value Time.now.to_i + lock_timeout (3600) + 1, no TTL, taken over when now > value;
//   released (DEL) after the perform, in around_perform's ensure.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/plugins.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"
#include "ruby_peer.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;
using namespace std::chrono_literals;

namespace {

bool exists(Connection& c, const std::string& key) {
  return c.command({"EXISTS", key}).integer() == 1;
}

// Ruby's enqueue.rb: true when Ruby's hooks let the job in.
bool ruby_enqueue(const RedisServer& s, const std::string& queue, const std::string& klass,
                  const std::string& args) {
  return ruby_ok("enqueue.rb", {queue, klass, args}, s.port())["enqueued"] == true;
}

// A C++ client whose class `klass` carries our QueueLock in the Ruby plugin's key style:
// LonerJob is resque-lock-timeout's @loner without @lock_timeout (so lock_timeout 0: `true`),
// QueueLockJob is resque-lock's default (lock_timeout 3600).
std::shared_ptr<JobRegistry> with_queue_lock(const std::string& klass) {
  plugins::QueueLock::Options o;
  if (klass == "LonerJob") {
    o.key_style = plugins::LockKeyStyle::ResqueLockTimeout;
    o.lock_timeout = 0s;
  } else {
    o.key_style = plugins::LockKeyStyle::ResqueLock;
  }
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw(klass, [](const Job&) {}, {std::make_shared<plugins::QueueLock>(o)});
  return reg;
}

// LockedJob's run lock on our side: resque-lock-timeout's style with its @lock_timeout = 60.
std::shared_ptr<plugins::JobLock> locked_job_lock() {
  plugins::JobLock::Options o;
  o.key_style = plugins::LockKeyStyle::ResqueLockTimeout;
  o.lock_timeout = 60s;
  return std::make_shared<plugins::JobLock>(o);
}

// Enqueue locks, both ways: Ruby's plugin takes its lock first and refuses ours, then (on a
// fresh Redis) ours first and Ruby's refused.
void enqueue_locks_exclude_each_other(const std::string& klass) {
  const std::string args = R"([42,"a@b.pt"])";
  {
    RedisServer server;
    Queue q(server.options(), with_queue_lock(klass));
    ASSERT_TRUE(ruby_enqueue(server, "locks", klass, args));
    EXPECT_FALSE(q.enqueue("locks", klass, decode_json(args)))
        << "our QueueLock let a second " << klass << " in while Ruby's lock is held";
    EXPECT_EQ(q.length("locks"), 1);
  }
  {
    RedisServer server;
    Queue q(server.options(), with_queue_lock(klass));
    ASSERT_TRUE(q.enqueue("locks", klass, decode_json(args)));
    EXPECT_FALSE(ruby_enqueue(server, "locks", klass, args))
        << "Ruby let a second " << klass << " in while our QueueLock is held";
    EXPECT_EQ(q.length("locks"), 1);
  }
}

}  // namespace

// The facts the Ruby key styles must reproduce, as the plugins write them today.
TEST(RubyPlugins, RubyLockPluginKeysAreAsDocumented) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  const std::int64_t before = std::stoll(c.command({"TIME"}).element(0).string());
  ASSERT_TRUE(ruby_enqueue(server, "locks", "LonerJob", R"([42,"a@b.pt"])"));
  ASSERT_TRUE(ruby_enqueue(server, "locks", "QueueLockJob", R"([42,"a@b.pt"])"));
  EXPECT_FALSE(ruby_enqueue(server, "locks", "LonerJob", R"([42,"a@b.pt"])"));
  EXPECT_FALSE(ruby_enqueue(server, "locks", "QueueLockJob", R"([42,"a@b.pt"])"));
  // resque-lock-timeout's loner lock: loner:lock:<class>:<args joined by '-'>, value "true"
  // without a lock timeout, no TTL.
  EXPECT_EQ(c.command({"GET", "resque:loner:lock:LonerJob:42-a@b.pt"}).opt_string(),
            std::optional<std::string>("true"));
  // defunkt resque-lock: lock:<class>-<Ruby's Array#to_s of args>, value now + 3600 + 1, no TTL.
  const std::string key = R"(resque:lock:QueueLockJob-[42, "a@b.pt"])";
  ASSERT_TRUE(exists(c, key));
  const long long until = c.command({"GET", key}).integer();
  EXPECT_GE(until, before + 3601);
  EXPECT_LE(until, before + 3601 + 60);
  EXPECT_EQ(c.command({"TTL", key}).integer(), -1);
  EXPECT_EQ(Queue(server.options()).length("locks"), 2);
}

// issue 11 row: resque-lock-timeout's `@loner` and our QueueLock (ResqueLockTimeout style) on
// the same job class: one key, loner:lock:LonerJob:42-a@b.pt, so one copy either way.
TEST(RubyPlugins, RubyLonerAndOurQueueLockExcludeEachOther) {
  RESQUE_REQUIRE_RUBY();
  enqueue_locks_exclude_each_other("LonerJob");
}

// issue 11 row: defunkt's resque-lock and our QueueLock (ResqueLock style) on the same job
// class: one key, lock:QueueLockJob-[42, "a@b.pt"], so one copy either way.
TEST(RubyPlugins, RubyResqueLockAndOurQueueLockExcludeEachOther) {
  RESQUE_REQUIRE_RUBY();
  enqueue_locks_exclude_each_other("QueueLockJob");
}

// issue 11 row: a Ruby worker performs a LockTimeout job (run lock lock:LockedJob:3-k held
// while it sleeps); our JobLock in resque-lock-timeout's style reads the same key and holds
// its copy back.
TEST(RubyPlugins, OurJobLockWaitsWhileRubyLockTimeoutHoldsTheJob) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  const std::string ruby_lock = "resque:lock:LockedJob:3-k";
  ASSERT_TRUE(ruby_enqueue(server, "locks", "LockedJob", R"([3,"k"])"));
  auto ruby = start_ruby("work_once.rb", {"locks"}, server.port());
  ASSERT_TRUE(eventually([&] { return exists(c, ruby_lock); }, 30s)) << ruby->output();

  // While Ruby performs it, our worker takes the same job (class and args) from its queue.
  auto overlapped = std::make_shared<std::atomic<int>>(0);
  auto performed = std::make_shared<std::atomic<int>>(0);
  auto held_back = std::make_shared<std::atomic<int>>(0);
  const auto opts = server.options();
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("LockedJob",
                  [opts, ruby_lock, overlapped, performed](const Job&) {
                    Connection own(opts);
                    if (own.command({"EXISTS", ruby_lock}).integer() == 1) ++*overlapped;
                    ++*performed;
                  },
                  {locked_job_lock()});
  WorkerOptions wo = fast_worker({"cpp"});
  wo.events.on_re_enqueue = [held_back](const std::string&, const Job&, const std::string&) {
    ++*held_back;
  };
  wo.events.on_veto = [held_back](const std::string&, const Job&, const std::string&) {
    ++*held_back;
  };
  Worker w(server.options(), reg, wo);
  w.start();
  Queue(server.options()).enqueue("cpp", "LockedJob", {3, "k"});
  ASSERT_TRUE(eventually([&] { return *performed + *held_back >= 1; }, 30s));
  EXPECT_EQ(*overlapped, 0) << "our JobLock performed LockedJob [3,\"k\"] while Ruby held "
                            << ruby_lock;
  EXPECT_EQ(ruby->wait(60s), 0) << ruby->output();
  w.stop();
  EXPECT_EQ(ruby_performed(c).size(), 1u);
}

// issue 11 row: our JobLock (resque-lock-timeout's style) holds a job; a Ruby worker with
// resque-lock-timeout takes the same class and args and must not perform it.
TEST(RubyPlugins, RubyLockTimeoutWaitsWhileOurJobLockHoldsTheJob) {
  RESQUE_REQUIRE_RUBY();
  RedisServer server;
  Connection c(server.options());
  auto gate = std::make_shared<Gate>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("LockedJob", [gate](const Job&) { gate->pass(); }, {locked_job_lock()});
  Worker w(server.options(), reg, fast_worker({"cpp"}));
  OpenOnExit open_on_exit{gate};
  w.start();
  ASSERT_TRUE(Queue(server.options()).enqueue("cpp", "LockedJob", {0, "k"}));
  ASSERT_TRUE(eventually([&] { return gate->entered() == 1; }));

  // Ruby's worker takes the same job while ours holds it: its around_perform must not run it.
  ASSERT_TRUE(ruby_enqueue(server, "locks", "LockedJob", R"([0,"k"])"));
  ruby_ok("work_once.rb", {"locks"}, server.port());
  EXPECT_TRUE(ruby_performed(c).empty())
      << "Ruby performed LockedJob [0,\"k\"] while our JobLock held it";
  gate->open();
  ASSERT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  w.stop();
}
