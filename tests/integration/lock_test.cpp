// The public lock primitives (resque::Lock, resque::Semaphore) against a real Redis: tokens,
// TTLs, renewal and release by the holder only, expiry, node's stamp values, blocking keys.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/lock.hpp"
#include "resque/queue.hpp"
#include "tenant_lock.hpp"  // examples/: the custom lock plugin of docs/plugins.md

using namespace resque;
using namespace std::chrono_literals;
using resque::test::eventually;
using resque::test::RedisServer;

namespace {

long long server_now(Connection& c) {
  return std::stoll(c.command({"TIME"}).element(0).string());
}

long long pttl(Connection& c, const std::string& key) {
  return c.command({"PTTL", key}).integer();
}

// Whether `key`'s TTL is what a command sent after `since` set it to: `seconds`, less only the
// time that has passed since (an exact "TTL == seconds" failed once a round trip took 0.5 s).
::testing::AssertionResult ttl_set_since(Connection& c, const std::string& key, long long seconds,
                                         std::chrono::steady_clock::time_point since) {
  const long long ms = pttl(c, key);
  const long long elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - since)
                                .count();
  if (ms <= seconds * 1000 && ms >= seconds * 1000 - elapsed - 1)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << key << ": PTTL " << ms << " ms, expected " << seconds
                                       << " s less at most the " << elapsed << " ms since set";
}

LockOptions ttl_of(std::chrono::milliseconds ttl) {
  LockOptions o;
  o.ttl = ttl;
  return o;
}

}  // namespace

TEST(Lock, AcquireWritesARandomTokenWithTheTtl) {
  RedisServer server;
  Connection c(server.options());
  const Lock lock("app:lock", ttl_of(30s));
  const auto r = lock.acquire(c);
  ASSERT_EQ(r.status, Lock::Status::Acquired);
  ASSERT_EQ(r.value.size(), 32u);
  for (char ch : r.value) EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(ch))) << r.value;
  EXPECT_EQ(c.command({"GET", "app:lock"}).string(), r.value);
  const long long ttl = pttl(c, "app:lock");
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 30000);
  EXPECT_EQ(lock.holder(c), r.value);
  EXPECT_NE(Lock::random_token(), Lock::random_token());
}

TEST(Lock, ASecondHolderIsBusyAndSeesTheFirst) {
  RedisServer server;
  Connection c(server.options());
  const Lock lock("app:lock", ttl_of(30s));
  ASSERT_TRUE(lock.acquire(c, "a").held());
  const auto r = lock.acquire(c, "b");
  EXPECT_EQ(r.status, Lock::Status::Busy);
  EXPECT_FALSE(r.held());
  EXPECT_EQ(r.value, "a");
  EXPECT_EQ(lock.holder(c), "a");
}

TEST(Lock, AcquireByTheHolderRenews) {
  RedisServer server;
  Connection c(server.options());
  const Lock lock("app:lock", ttl_of(30s));
  ASSERT_TRUE(lock.acquire(c, "a").held());
  c.command({"PEXPIRE", "app:lock", "1000"});
  const auto r = lock.acquire(c, "a");
  EXPECT_EQ(r.status, Lock::Status::Renewed);
  EXPECT_EQ(r.value, "a");
  EXPECT_GT(pttl(c, "app:lock"), 1000);
}

TEST(Lock, OnlyTheHolderRenews) {
  RedisServer server;
  Connection c(server.options());
  const Lock lock("app:lock", ttl_of(30s));
  const std::string token = lock.acquire(c).value;
  c.command({"PEXPIRE", "app:lock", "1000"});
  EXPECT_EQ(lock.renew(c, "someone-else"), std::nullopt);
  EXPECT_LE(pttl(c, "app:lock"), 1000);
  EXPECT_EQ(lock.renew(c, token), token);
  EXPECT_GT(pttl(c, "app:lock"), 1000);
  EXPECT_EQ(lock.holder(c), token);
}

TEST(Lock, OnlyTheHolderReleases) {
  RedisServer server;
  Connection c(server.options());
  const Lock lock("app:lock", ttl_of(30s));
  const std::string token = lock.acquire(c).value;
  EXPECT_FALSE(lock.release(c, "someone-else"));
  EXPECT_FALSE(lock.release(c, ""));
  EXPECT_EQ(lock.holder(c), token);
  EXPECT_TRUE(lock.release(c, token));
  EXPECT_EQ(lock.holder(c), std::nullopt);
  EXPECT_FALSE(lock.release(c, token));  // released once only
  EXPECT_TRUE(lock.acquire(c, "next").held());
}

TEST(Lock, AnExpiredHolderCannotRenewOrReleaseTheNextHoldersLock) {
  RedisServer server;
  Connection c(server.options());
  const Lock lock("app:lock", ttl_of(50ms));
  const std::string old_token = lock.acquire(c).value;
  ASSERT_TRUE(eventually([&] { return !lock.holder(c).has_value(); }));
  EXPECT_EQ(lock.renew(c, old_token), std::nullopt);  // expired: nothing to renew
  EXPECT_EQ(lock.holder(c), std::nullopt);
  const Lock longer("app:lock", ttl_of(30s));
  const std::string new_token = longer.acquire(c).value;
  ASSERT_NE(new_token, old_token);
  EXPECT_EQ(lock.renew(c, old_token), std::nullopt);
  EXPECT_FALSE(lock.release(c, old_token));
  EXPECT_EQ(lock.holder(c), new_token);
}

TEST(Lock, ExpiryStampWritesNodesValueAndRenewsIt) {
  RedisServer server;
  Connection c(server.options());
  LockOptions o;
  o.ttl = 60s;
  o.value = LockValue::ExpiryStamp;
  const Lock lock("resque:workerslock:J:q:[1]", o);
  const long long before = server_now(c);
  auto set_at = std::chrono::steady_clock::now();
  const auto r = lock.acquire(c, "ignored");
  const long long after = server_now(c);
  ASSERT_EQ(r.status, Lock::Status::Acquired);
  // node: Math.round(now / 1000) + timeout + 1, SET ... EX timeout.
  const long long stamp = std::stoll(r.value);
  EXPECT_GE(stamp, before + 61);
  EXPECT_LE(stamp, after + 62);
  EXPECT_TRUE(ttl_set_since(c, "resque:workerslock:J:q:[1]", 60, set_at));
  // A stamp is not a token anybody else knows: another client is refused.
  EXPECT_EQ(lock.acquire(c).status, Lock::Status::Busy);
  c.command({"EXPIRE", "resque:workerslock:J:q:[1]", "5"});
  set_at = std::chrono::steady_clock::now();
  const auto renewed = lock.renew(c, r.value);
  ASSERT_TRUE(renewed.has_value());
  EXPECT_GE(std::stoll(*renewed), stamp);
  EXPECT_TRUE(ttl_set_since(c, "resque:workerslock:J:q:[1]", 60, set_at));
  EXPECT_EQ(lock.renew(c, r.value == *renewed ? "other" : r.value), std::nullopt);
  EXPECT_TRUE(lock.release(c, *renewed));
  EXPECT_EQ(lock.holder(c), std::nullopt);
}

TEST(Lock, TakeOverStaleTakesLocksWhoseStampPassedOrIsNotANumber) {
  RedisServer server;
  Connection c(server.options());
  LockOptions o;
  o.ttl = 60s;
  o.value = LockValue::ExpiryStamp;
  const Lock plain("k", o);
  o.take_over_stale = true;
  const Lock taking("k", o);
  for (const char* stale : {"100", "not a number"}) {
    c.command({"SET", "k", stale});  // no TTL: what node's SETNX-then-crash leaves
    EXPECT_EQ(plain.acquire(c).status, Lock::Status::Busy) << stale;
    const auto set_at = std::chrono::steady_clock::now();
    const auto r = taking.acquire(c);
    EXPECT_EQ(r.status, Lock::Status::Acquired) << stale;
    EXPECT_EQ(c.command({"GET", "k"}).string(), r.value);
    EXPECT_TRUE(ttl_set_since(c, "k", 60, set_at)) << stale;
  }
  // A stamp in the future is held.
  c.command({"SET", "k", std::to_string(server_now(c) + 100)});
  EXPECT_EQ(taking.acquire(c).status, Lock::Status::Busy);
}

TEST(Lock, ABlockingKeyRefusesTheLockAndTakesItFromItsHolder) {
  RedisServer server;
  Connection c(server.options());
  LockOptions o;
  o.ttl = 30s;
  o.blocked_by = {"ruby:master"};
  const Lock lock("leader", o);
  ASSERT_EQ(lock.acquire(c, "me").status, Lock::Status::Acquired);
  c.command({"SET", "ruby:master", "x"});
  EXPECT_EQ(lock.acquire(c, "me").status, Lock::Status::Blocked);
  EXPECT_EQ(lock.holder(c), std::nullopt);  // given up
  EXPECT_EQ(lock.acquire(c, "other").status, Lock::Status::Blocked);
  c.command({"DEL", "ruby:master"});
  EXPECT_EQ(lock.acquire(c, "other").status, Lock::Status::Acquired);
}

// resque-lock-timeout's value (Time.now.to_i + timeout) and defunkt resque-lock's (+ 1), with
// a TTL ending a second after Ruby would take the lock over; stale values (to_i < now,
// "true".to_i == 0, garbage) are taken over, a future one is not.
TEST(Lock, RubyStampsAreRubysValuesAndTakeOverRubysStaleLocks) {
  RedisServer server;
  Connection c(server.options());
  for (const auto kind : {LockValue::RubyLockTimeoutStamp, LockValue::RubyLockStamp}) {
    const long long plus = kind == LockValue::RubyLockStamp ? 1 : 0;
    LockOptions o;
    o.ttl = 60s;
    o.value = kind;
    o.take_over_stale = true;
    const Lock lock("rk", o);
    c.command({"DEL", "rk"});
    const long long before = server_now(c);
    const auto set_at = std::chrono::steady_clock::now();
    const auto r = lock.acquire(c);
    const long long after = server_now(c);
    ASSERT_EQ(r.status, Lock::Status::Acquired);
    EXPECT_GE(std::stoll(r.value), before + 60 + plus);
    EXPECT_LE(std::stoll(r.value), after + 60 + plus);
    EXPECT_TRUE(ttl_set_since(c, "rk", 61 + plus, set_at));
    EXPECT_EQ(lock.acquire(c).status, Lock::Status::Busy);
    const std::string future = std::to_string(server_now(c) + 5);
    for (const std::string& stale :
         {std::string("100"), std::string("true"), std::string("garbage"), std::string("  -5")}) {
      c.command({"SET", "rk", stale});  // Ruby writes no TTL
      const auto taken_at = std::chrono::steady_clock::now();
      EXPECT_EQ(lock.acquire(c).status, Lock::Status::Acquired) << stale;
      EXPECT_TRUE(ttl_set_since(c, "rk", 61 + plus, taken_at)) << stale;
    }
    // Ruby's to_i reads "<future>_0" as <future>0 and " <future>x" as <future>: held.
    for (const std::string& held : {future, future + "_0", " " + future + "x"}) {
      c.command({"SET", "rk", held});
      EXPECT_EQ(lock.acquire(c).status, Lock::Status::Busy) << held;
      EXPECT_EQ(c.command({"GET", "rk"}).string(), held);
    }
  }
}

// resque-lock-timeout without a timeout: SETNX "true", no TTL, never stale.
TEST(Lock, RubyTrueIsSetnxTrueWithoutTtl) {
  RedisServer server;
  Connection c(server.options());
  LockOptions o;
  o.ttl = 0s;
  o.value = LockValue::RubyTrue;
  const Lock lock("rt", o);
  const auto r = lock.acquire(c);
  ASSERT_EQ(r.status, Lock::Status::Acquired);
  EXPECT_EQ(r.value, "true");
  EXPECT_EQ(c.command({"TTL", "rt"}).integer(), -1);
  EXPECT_EQ(lock.acquire(c).status, Lock::Status::Busy);
  c.command({"SET", "rt", "1"});  // a stamp long past: a no-timeout lock still holds
  EXPECT_EQ(lock.acquire(c).status, Lock::Status::Busy);
  c.command({"SET", "rt", "true"});
  EXPECT_TRUE(lock.release(c, "true"));
  EXPECT_EQ(lock.holder(c), std::nullopt);
}

// A Ruby-stamp lock is blocked by a key only while that key's stamp is in the future
// (inspect_lock), and a key of the wrong type fails the script before any write.
TEST(Lock, RubyBlockersCountWhileTheirStampIsAheadAndWrongTypesWriteNothing) {
  RedisServer server;
  Connection c(server.options());
  LockOptions o;
  o.ttl = 60s;
  o.value = LockValue::RubyLockTimeoutStamp;
  o.take_over_stale = true;
  o.blocked_by = {"run"};
  const Lock lock("loner", o);
  c.command({"SET", "run", std::to_string(server_now(c) + 100)});
  EXPECT_EQ(lock.acquire(c).status, Lock::Status::Blocked);
  c.command({"SET", "run", std::to_string(server_now(c) - 100)});  // Ruby's expired run lock
  EXPECT_EQ(lock.acquire(c).status, Lock::Status::Acquired);
  c.command({"DEL", "loner", "run"});
  c.command({"RPUSH", "run", "x"});
  EXPECT_THROW(lock.acquire(c), Error);
  EXPECT_EQ(c.command({"EXISTS", "loner"}).integer(), 0);
  c.command({"DEL", "run"});
  c.command({"HSET", "loner", "a", "b"});
  EXPECT_THROW(lock.acquire(c), Error);
  EXPECT_EQ(c.command({"TYPE", "loner"}).string(), "hash");
}

TEST(Lock, RefusesBadOptions) {
  EXPECT_THROW(Lock(""), ConfigError);
  EXPECT_THROW(Lock("k", ttl_of(0ms)), ConfigError);
  LockOptions stamp;
  stamp.value = LockValue::ExpiryStamp;
  stamp.ttl = 500ms;
  EXPECT_THROW(Lock("k", stamp), ConfigError);
  LockOptions stale;
  stale.take_over_stale = true;
  EXPECT_THROW(Lock("k", stale), ConfigError);
  stale.value = LockValue::RubyTrue;  // never stale
  EXPECT_THROW(Lock("k", stale), ConfigError);
  LockOptions ruby;
  ruby.value = LockValue::RubyLockStamp;
  ruby.ttl = 500ms;
  EXPECT_THROW(Lock("k", ruby), ConfigError);
}

TEST(Semaphore, AtMostLimitHoldersAndOnlyHoldersRelease) {
  RedisServer server;
  Connection c(server.options());
  const Semaphore sem("slots", 2, 30s);
  EXPECT_TRUE(sem.acquire(c, "a"));
  EXPECT_TRUE(sem.acquire(c, "b"));
  EXPECT_FALSE(sem.acquire(c, "c"));
  EXPECT_TRUE(sem.acquire(c, "a"));  // a holder re-acquiring keeps its one slot
  EXPECT_EQ(sem.held(c), 2);
  EXPECT_FALSE(sem.release(c, "c"));
  EXPECT_EQ(sem.held(c), 2);
  EXPECT_TRUE(sem.release(c, "a"));
  EXPECT_TRUE(sem.acquire(c, "c"));
  EXPECT_TRUE(sem.release(c, "b"));
  EXPECT_TRUE(sem.release(c, "c"));
  EXPECT_EQ(c.command({"EXISTS", "slots"}).integer(), 0);  // the key goes with the last slot
}

TEST(Semaphore, OnlyALiveHolderRenewsAndExpiredSlotsAreFreed) {
  RedisServer server;
  Connection c(server.options());
  const Semaphore sem("slots", 1, 30s);
  ASSERT_TRUE(sem.acquire(c, "a"));
  EXPECT_FALSE(sem.renew(c, "b"));
  EXPECT_TRUE(sem.renew(c, "a"));
  ASSERT_TRUE(sem.release(c, "a"));
  EXPECT_FALSE(sem.renew(c, "a"));

  // Long enough that the dead holder's slot cannot expire before "b" is refused on a loaded
  // machine (with 50 ms, one slow round trip let "b" in).
  const Semaphore brief("slots", 1, 1000ms);
  ASSERT_TRUE(brief.acquire(c, "dead"));
  EXPECT_FALSE(brief.acquire(c, "b"));
  ASSERT_TRUE(eventually([&] { return brief.held(c) == 0; }));
  EXPECT_FALSE(brief.renew(c, "dead"));  // expired: not revived
  EXPECT_TRUE(sem.acquire(c, "b"));
  EXPECT_FALSE(sem.acquire(c, "dead"));
}

TEST(Semaphore, RefusesBadOptions) {
  EXPECT_THROW(Semaphore("", 1, 1s), ConfigError);
  EXPECT_THROW(Semaphore("k", 0, 1s), ConfigError);
  EXPECT_THROW(Semaphore("k", 1, 0ms), ConfigError);
}

TEST(CustomLockPlugin, TheDocsTenantLockHoldsOnePerformPerTenant) {
  RedisServer server;
  Connection c(server.options());
  Queue queue(server.options());
  const Keys keys;
  example::TenantLock plugin;
  const Job a{"Report", "reports", Json::array({"acme", 1}), Json::object()};
  const Job b{"Report", "reports", Json::array({"acme", 2}), Json::object()};
  const Job other{"Report", "reports", Json::array({"globex", 3}), Json::object()};
  const std::string acme_key = "resque:tenant-lock:\"acme\"";

  auto ca = HookContext::for_perform(a, c, keys, queue, "w1");
  ASSERT_TRUE(plugin.before_perform(ca));
  EXPECT_EQ(c.command({"GET", acme_key}).string(), ca.state<example::TenantLock::State>().token);
  auto cb = HookContext::for_perform(b, c, keys, queue, "w2");
  EXPECT_FALSE(plugin.before_perform(cb));  // acme busy: put back through the delayed queue
  EXPECT_EQ(cb.re_enqueued_by, "TenantLock");
  EXPECT_EQ(c.command({"ZCARD", "resque:delayed_queue_schedule"}).integer(), 1);
  auto co = HookContext::for_perform(other, c, keys, queue, "w3");
  EXPECT_TRUE(plugin.before_perform(co));  // another tenant is not held up
  plugin.after_perform(co);

  plugin.after_perform(ca);
  EXPECT_EQ(c.command({"EXISTS", acme_key}).integer(), 0);
  auto cb2 = HookContext::for_perform(b, c, keys, queue, "w2");
  ASSERT_TRUE(plugin.before_perform(cb2));

  // A perform whose lease was lost (expired, then taken by another) frees nothing.
  const std::string stale = cb2.state<example::TenantLock::State>().token;
  c.command({"SET", acme_key, "new-holder"});
  plugin.after_perform(cb2);
  EXPECT_EQ(c.command({"GET", acme_key}).string(), "new-holder");
  EXPECT_NE(stale, "new-holder");
}
