// ConnectionPool::acquire: re-entrant on one thread, bounded wait otherwise; and the case that
// used to hang: a plugin enqueueing from inside an enqueue hook on the one-connection Queue a
// Worker hands to plugins.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/plugin.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

TEST(ConnectionPoolAcquire, NestedAcquireOnOneThreadSharesItsConnection) {
  RedisServer server;
  ConnectionPool pool(server.options(), 1);
  auto outer = pool.acquire();
  outer->command({"SET", "k", "outer"});
  {
    auto inner = pool.acquire(std::chrono::milliseconds(0));  // would otherwise wait for itself
    EXPECT_EQ(&*inner, &*outer);
    EXPECT_EQ(inner->command({"GET", "k"}).string(), "outer");
  }
  // The inner lease gave nothing back: the outer one still holds the connection, so another
  // thread has to wait, and times out.
  auto other = std::async(std::launch::async, [&] {
    try {
      pool.acquire(std::chrono::milliseconds(50));
      return std::string("acquired");
    } catch (const TimeoutError& e) {
      return std::string(e.what());
    }
  });
  const std::string msg = other.get();
  EXPECT_NE(msg.find("all 1 of the pool are in use"), std::string::npos) << msg;
  EXPECT_EQ(outer->command({"PING"}).str(), "PONG");
  outer = ConnectionPool::Lease(nullptr, nullptr);  // returned: another thread gets it now
  auto again = std::async(std::launch::async, [&] {
    return pool.acquire(std::chrono::milliseconds(2000))->command({"GET", "k"}).string();
  });
  EXPECT_EQ(again.get(), "outer");
}

TEST(ConnectionPoolAcquire, ExhaustionRaisesTimeoutErrorAfterTheConfiguredLimit) {
  RedisServer server;
  auto o = server.options();
  o.pool_acquire_timeout = std::chrono::milliseconds(100);
  ConnectionPool pool(o, 2);
  std::promise<void> held, done;
  auto holder = std::thread([&] {
    auto a = pool.acquire();
    auto b = pool.acquire();  // same thread, pool not exhausted yet: a second connection
    EXPECT_NE(&*a, &*b);
    held.set_value();
    done.get_future().wait();
  });
  held.get_future().wait();
  std::string msg;
  try {
    pool.acquire();  // the default limit comes from ConnectionOptions::pool_acquire_timeout
  } catch (const TimeoutError& e) {
    msg = e.what();
  }
  done.set_value();
  holder.join();
  EXPECT_NE(msg.find("no connection to 127.0.0.1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("within 100 ms: all 2 of the pool are in use"), std::string::npos) << msg;
  EXPECT_EQ(pool.acquire()->command({"PING"}).str(), "PONG");  // free again
}

TEST(ConnectionPoolAcquire, DefaultLimitIsDocumentedTenSeconds) {
  EXPECT_EQ(ConnectionOptions{}.pool_acquire_timeout, std::chrono::milliseconds(10000));
}

namespace {
// Enqueues a follow-up job from inside its own before_enqueue hook, on the hook's Queue.
class Chain : public Plugin {
 public:
  std::string name() const override { return "Chain"; }
  bool before_enqueue(HookContext& ctx) override {
    ctx.queue.enqueue("q", "Leaf", Json::array({"from-hook"}));
    return true;
  }
};
// Enqueues a "Middle" job after each perform, from the worker's Queue (one connection).
class FollowUp : public Plugin {
 public:
  std::string name() const override { return "FollowUp"; }
  void after_perform(HookContext& ctx) override {
    ctx.queue.enqueue("q", "Middle", Json::array({"from-worker"}));
  }
};
}  // namespace

TEST(ConnectionPoolAcquire, PluginEnqueuingInsideAnEnqueueHookOnTheWorkersQueue) {
  RedisServer server;
  auto performed = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  auto rec = [performed](const Job& j) {
    performed->add(j.klass + ":" + j.args.at(0).get<std::string>());
  };
  reg->define_raw("Root", rec, {std::make_shared<FollowUp>()});
  reg->define_raw("Middle", rec, {std::make_shared<Chain>()});
  reg->define_raw("Leaf", rec);
  Worker w(server.options(), reg, fast_worker({"q"}));
  w.start();
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Root", Json::array({"start"})));
  // Root's after_perform enqueues Middle on the worker's one-connection Queue; Middle's
  // before_enqueue enqueues Leaf on that same Queue while the outer enqueue holds the lease.
  EXPECT_TRUE(eventually([&] { return performed->count("Leaf:from-hook") == 1; }));
  EXPECT_TRUE(eventually([&] { return performed->count("Middle:from-worker") == 1; }));
  EXPECT_EQ(performed->count("Root:start"), 1u);
  EXPECT_TRUE(w.stop(std::chrono::seconds(10)));
}
