// Redis Cluster (label cluster): three masters and three replicas on loopback, started here
// (tests/support/redis_cluster.hpp). A hash-tagged namespace puts every key in one slot; the
// connection finds that slot's master, follows MOVED and ASK, and carries on after a failover.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "process.hpp"
#include "redis_cluster.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/plugin.hpp"
#include "resque/plugins/job_lock.hpp"
#include "resque/plugins/queue_lock.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "resque/worker.hpp"
#include "resque/worker_pool.hpp"
#include "sched_support.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

namespace {

// The message of the exception `f` throws, which must be of type E.
template <class E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

int slot_of(RedisCluster& cluster, const std::string& key) {
  Connection c(cluster.node_options(0));
  return static_cast<int>(c.command({"CLUSTER", "KEYSLOT", key}).integer());
}

// The port of the node a connection talks to.
int port_of(Connection& c) {
  return std::stoi(c.command({"CONFIG", "GET", "port"}).element(1).string());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(Cluster, UntaggedNamespaceIsRefusedWithTheFix) {
  RedisCluster cluster;
  auto o = cluster.options("resque");
  auto msg = error_of<ConfigError>([&] { Connection(o).command({"PING"}); });
  EXPECT_TRUE(contains(msg, "key namespace 'resque' has no hash tag")) << msg;
  EXPECT_TRUE(contains(msg, "key_namespace = \"{resque}\"")) << msg;
  // Where options enter the public API: refused at once, not retried by a worker thread.
  auto reg = std::make_shared<JobRegistry>();
  EXPECT_TRUE(contains(error_of<ConfigError>([&] { Queue q(o, reg); }), "has no hash tag"));
  EXPECT_TRUE(contains(error_of<ConfigError>([&] { Worker w(o, reg, fast_worker({"q"})); }),
                       "has no hash tag"));
  EXPECT_TRUE(contains(error_of<ConfigError>([&] {
                         WorkerPoolOptions po;
                         po.worker = fast_worker({"q"});
                         WorkerPool p(o, reg, po);
                       }),
                       "has no hash tag"));
  EXPECT_TRUE(contains(error_of<ConfigError>([&] { Scheduler s(o, reg, fast_scheduler("s")); }),
                       "has no hash tag"));
  // A brace closed only by the key's name is no tag either; nor is a database other than 0.
  o.key_namespace = "{resque";
  EXPECT_TRUE(
      contains(error_of<ConfigError>([&] { Connection(o).command({"PING"}); }), "has no hash tag"));
  o.key_namespace = "{resque}";
  o.db = 1;
  EXPECT_TRUE(
      contains(error_of<ConfigError>([&] { Connection(o).command({"PING"}); }), "only database 0"));

  // A plain connection to a node without the namespace's slot is told to use cluster mode.
  const std::size_t owner = cluster.master_of(slot_of(cluster, "{resque}"));
  const std::size_t other = owner == 0 ? 1 : 0;
  auto plain = cluster.node_options(other);
  msg = error_of<ConfigError>([&] { Connection(plain).command({"SET", "{resque}:k", "v"}); });
  EXPECT_TRUE(contains(msg, "Redis Cluster node")) << msg;
  EXPECT_TRUE(contains(msg, "redis+cluster://")) << msg;

  // A key without the namespace's tag, in a slot of another master: its MOVED is not followed
  // (the connection serves the namespace's slot) but reported, and the connection carries on.
  std::string foreign;
  for (char ch = 'a'; foreign.empty() && ch <= 'z'; ++ch)
    if (cluster.master_of(slot_of(cluster, std::string(1, ch))) != owner)
      foreign = std::string(1, ch);
  ASSERT_FALSE(foreign.empty());
  Connection tagged(cluster.options());
  msg = error_of<ReplyError>([&] { tagged.command({"SET", foreign, "v"}); });
  EXPECT_TRUE(contains(msg, "MOVED")) << msg;
  tagged.command({"SET", "{resque}:k", "v"});
  EXPECT_EQ(tagged.command({"GET", "{resque}:k"}).string(), "v");

  // Cluster mode against a server that is not a cluster node.
  RedisServer standalone;
  auto s = standalone.options();
  s.cluster = true;
  s.key_namespace = "{resque}";
  s.reconnect_attempts = 1;
  msg = error_of<ConfigError>([&] { Connection(s).command({"PING"}); });
  EXPECT_TRUE(contains(msg, "is not a Redis Cluster node")) << msg;
}

TEST(Cluster, FindsTheSlotsMasterFollowsMovedAndAsk) {
  RedisCluster cluster;
  const int slot = slot_of(cluster, "{resque}");
  const std::size_t src = cluster.master_of(slot);
  // The one seed is another master: the connection asks it for the map and goes to `src`.
  std::size_t seed = 0;
  while (seed == src || seed == cluster.replica_of(slot)) ++seed;
  auto o = cluster.options();
  o.cluster_nodes = {fmt::format("127.0.0.1:{}", cluster.node(seed).port())};
  Connection c(o);
  c.command({"SET", "{resque}:k1", "v1"});
  EXPECT_EQ(port_of(c), cluster.node(src).port());
  // The URL form (every node a seed) reaches the same node.
  auto u = parse_redis_url(cluster.url());
  u.key_namespace = "{resque}";
  Connection by_url(u);
  EXPECT_EQ(by_url.command({"GET", "{resque}:k1"}).string(), "v1");
  EXPECT_EQ(port_of(by_url), cluster.node(src).port());
  Connection piped(o);
  EXPECT_EQ(piped.command({"PING"}).str(), "PONG");

  // Migrate the slot to `dst`, another master, by hand as redis-cli --cluster reshard does.
  const std::size_t dst = seed;
  const std::string src_id = cluster.id_of(src), dst_id = cluster.id_of(dst);
  const std::string s = std::to_string(slot);
  Connection src_admin(cluster.node_options(src)), dst_admin(cluster.node_options(dst));
  dst_admin.command({"CLUSTER", "SETSLOT", s, "IMPORTING", src_id});
  src_admin.command({"CLUSTER", "SETSLOT", s, "MIGRATING", dst_id});
  // A key the source no longer (here: never) had: ASK, so ASKING + SET on the target.
  c.command({"SET", "{resque}:k2", "v2"});
  EXPECT_EQ(dst_admin.command({"CLUSTER", "COUNTKEYSINSLOT", s}).integer(), 1);
  EXPECT_EQ(src_admin.command({"CLUSTER", "COUNTKEYSINSLOT", s}).integer(), 1);
  EXPECT_EQ(c.command({"GET", "{resque}:k1"}).string(), "v1");  // still on the source
  EXPECT_EQ(c.command({"GET", "{resque}:k2"}).string(), "v2");  // asked of the target
  EXPECT_EQ(port_of(c), cluster.node(src).port());              // the connection stayed
  src_admin.command({"MIGRATE", "127.0.0.1", std::to_string(cluster.node(dst).port()), "", "0",
                     "5000", "KEYS", "{resque}:k1"});
  dst_admin.command({"CLUSTER", "SETSLOT", s, "NODE", dst_id});
  src_admin.command({"CLUSTER", "SETSLOT", s, "NODE", dst_id});
  for (std::size_t i = 0; i < cluster.size(); ++i)
    if (i != src && i != dst) {
      Connection n(cluster.node_options(i));
      if (n.command({"ROLE"}).element(0).string() == "master")  // replicas learn it by gossip
        n.command({"CLUSTER", "SETSLOT", s, "NODE", dst_id});
    }
  // MOVED: the connection reconnects to the new owner and sends the command again.
  EXPECT_EQ(c.command({"GET", "{resque}:k1"}).string(), "v1");
  EXPECT_EQ(port_of(c), cluster.node(dst).port());
  // A pipeline whose transaction was refused (MOVED, EXECABORT) is sent again whole.
  const auto replies = piped.pipeline({{"MULTI"}, {"GET", "{resque}:k2"}, {"EXEC"}});
  ASSERT_EQ(replies.size(), 3u);
  ASSERT_EQ(replies[2].type(), Reply::Type::Array) << replies[2].str();
  EXPECT_EQ(replies[2].element(0).string(), "v2");
  EXPECT_EQ(port_of(piped), cluster.node(dst).port());
}

TEST(Cluster, QueueWorkerPoolSchedulerAndLocksWork) {
  RedisCluster cluster;
  const auto o = cluster.options();
  auto performed = std::make_shared<Recorder>();
  auto events = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw(
      "Rec", [performed](const Job& j) { performed->add(j.klass + ":" + j.args.at(0).dump()); });
  reg->define_raw(
      "Exclusive",
      [performed](const Job& j) { performed->add(j.klass + ":" + j.args.at(0).dump()); },
      {std::make_shared<plugins::JobLock>()});
  reg->define_raw(
      "Once", [performed](const Job& j) { performed->add(j.klass + ":" + j.args.at(0).dump()); },
      {std::make_shared<plugins::QueueLock>()});

  // A 60 s poll: jobs are taken this soon only through the pub/sub wake-up, so the notifier's
  // subscription works on the cluster.
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"}, std::chrono::seconds(60));
  po.worker.events = recording_events(events);
  po.min_threads = po.max_threads = 2;
  WorkerPool pool(o, reg, po);
  pool.start();
  ASSERT_TRUE(eventually([&] { return events->count("poll") >= 1; }));

  Queue q(o, reg);
  constexpr int kJobs = 50;
  for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(q.enqueue("q", "Rec", Json::array({i})));
  ASSERT_TRUE(q.enqueue("q", "Exclusive", Json::array({1})));
  EXPECT_TRUE(eventually([&] { return performed->size() == kJobs + 1; }, std::chrono::seconds(20)))
      << performed->size();
  for (int i = 0; i < kJobs; ++i) EXPECT_EQ(performed->count(fmt::format("Rec:{}", i)), 1u);
  EXPECT_EQ(performed->count("Exclusive:1"), 1u);

  // Delayed jobs: promoted by a Scheduler, then performed.
  ASSERT_TRUE(q.enqueue_in(std::chrono::milliseconds(300), "q", "Rec", Json::array({"delayed"})));
  Scheduler scheduler(o, reg, fast_scheduler("cluster-scheduler"));
  scheduler.start();
  EXPECT_TRUE(eventually([&] { return performed->count("Rec:\"delayed\"") == 1; },
                         std::chrono::seconds(20)));
  scheduler.stop();

  // QueueLock: a second copy is refused while the first waits in a queue nobody works yet.
  ASSERT_TRUE(q.enqueue("locked", "Once", Json::array({7})));
  EXPECT_FALSE(q.enqueue("locked", "Once", Json::array({7})));
  EXPECT_EQ(q.length("locked"), 1);
  Worker w(o, reg, fast_worker({"locked"}));
  w.start();
  EXPECT_TRUE(eventually([&] { return performed->count("Once:7") == 1; }));
  // Taken by the worker: the lock was released, so the job can be enqueued again.
  EXPECT_TRUE(eventually([&] { return q.enqueue("locked", "Once", Json::array({7})); }));
  EXPECT_TRUE(eventually([&] { return performed->count("Once:7") == 2; }));
  w.stop();
  EXPECT_TRUE(pool.stop());

  // Everything lives on the slot's master under the tag, counted once per job.
  Connection c(o);
  EXPECT_TRUE(eventually([&] {
    return get_int(c, "{resque}:stat:processed") == kJobs + 1 + 1 + 2;
  })) << get_int(c, "{resque}:stat:processed");
  EXPECT_EQ(c.command({"LLEN", "{resque}:failed"}).integer(), 0);
  EXPECT_EQ(c.command({"EXISTS", "{resque}:workerslock:Exclusive:q:[1]"}).integer(), 0);
  EXPECT_EQ(port_of(c), cluster.node(cluster.master_of(slot_of(cluster, "{resque}"))).port());
}

namespace {

// Marks a job durable when its enqueue reached the slot's replica (WAIT on the connection that
// wrote it, as a caller who needs durability across a crash does), or was written on the
// promoted replica itself (no further failover happens in these tests).
class WaitForReplica : public Plugin {
 public:
  WaitForReplica(int promoted_port, std::function<void(long long, bool)> done)
      : promoted_port_(std::to_string(promoted_port)), done_(std::move(done)) {}
  std::string name() const override { return "WaitForReplica"; }
  void after_enqueue(HookContext& ctx) override {
    bool durable = false;
    try {
      durable =
          ctx.redis.command({"CONFIG", "GET", "port"}).element(1).string() == promoted_port_ ||
          ctx.redis.command({"WAIT", "1", "1000"}).integer() >= 1;
    } catch (const Error&) {
    }
    done_(ctx.job.args.at(0).get<long long>(), durable);
  }

 private:
  std::string promoted_port_;
  std::function<void(long long, bool)> done_;
};

// Enqueues before, during and after a failover of the namespace's slot (until 150 more were
// acknowledged once every node names the new master) under a WorkerPool of two; prints the
// figures. crash: SIGKILL of the master (asynchronous replication: an acknowledged enqueue
// the replica never saw can be lost, so only the replicated ones must be performed);
// otherwise CLUSTER FAILOVER on the replica (which first catches up: nothing may be lost).
void failover_run(bool crash) {
  RedisCluster cluster;
  const auto o = cluster.options();
  const int slot = slot_of(cluster, "{resque}");
  const std::size_t old_master = cluster.master_of(slot);
  const std::size_t replica = cluster.replica_of(slot);
  constexpr long long kBefore = 150, kAfter = 150, kMax = 20000;

  std::mutex mu;
  std::map<long long, int> performed;
  std::set<long long> replicated, unreplicated;
  auto reg = std::make_shared<JobRegistry>();
  std::vector<std::shared_ptr<Plugin>> plugins;
  if (crash)
    plugins.push_back(
        std::make_shared<WaitForReplica>(cluster.node(replica).port(), [&](long long id, bool ok) {
          std::lock_guard<std::mutex> lock(mu);
          (ok ? replicated : unreplicated).insert(id);
        }));
  reg->define_raw(
      "Job",
      [&](const Job& j) {
        std::lock_guard<std::mutex> lock(mu);
        ++performed[j.args.at(0).get<long long>()];
      },
      plugins);
  WorkerPoolOptions po;
  po.worker = fast_worker({"q"}, std::chrono::milliseconds(100));
  po.min_threads = po.max_threads = 2;
  WorkerPool pool(o, reg, po);
  pool.start();
  // An idle worker with a 60 s poll on another queue: after the failover it can only take a
  // job soon through the pub/sub wake-up, so the notifier must have survived the failover
  // (subscribed to the old master, now a replica, that the cluster broadcasts PUBLISH to; or
  // subscribed again after a crash).
  auto events = std::make_shared<Recorder>();
  reg->define_raw("Wake", [events](const Job&) { events->add("performed"); });
  auto wo = fast_worker({"wake"}, std::chrono::seconds(60));
  wo.events = recording_events(events);
  Worker waker(o, reg, wo);
  waker.start();
  ASSERT_TRUE(eventually([&] { return events->count("poll") >= 1; }));

  std::atomic<long long> acknowledged{0}, done_at{-1};
  std::atomic<int> enqueue_errors{0};
  std::thread enqueuer([&] {
    Queue q(o, reg);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    for (long long i = 0; i < kMax && std::chrono::steady_clock::now() < deadline;) {
      if (done_at >= 0 && i >= done_at + kAfter) break;
      try {
        q.enqueue("q", "Job", Json::array({i}));
        acknowledged = ++i;
      } catch (const Error&) {
        // Not acknowledged: maybe written, maybe not. Sent again (so it may run twice).
        ++enqueue_errors;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  ASSERT_TRUE(eventually([&] { return acknowledged >= kBefore; }, std::chrono::seconds(30)));
  const long long at_failover = acknowledged;
  const std::size_t new_master = crash ? cluster.kill_master(slot) : cluster.failover(slot);
  done_at = acknowledged.load();
  enqueuer.join();
  const long long jobs = acknowledged;
  ASSERT_GE(jobs, done_at + kAfter) << "enqueues did not resume after the failover";

  // Every acknowledged job (crash: every replicated one) is performed.
  const auto must_run = [&](long long id) { return !crash || replicated.count(id) > 0; };
  const bool all = eventually(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        for (long long id = 0; id < jobs; ++id)
          if (must_run(id) && performed.count(id) == 0) return false;
        return true;
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(pool.stop(std::chrono::seconds(10)));
  Connection c(o);
  const bool woken =
      eventually(
          [&] {
            try {
              return Queue(o, reg).enqueue("wake", "Wake");
            } catch (const Error&) {
              return false;
            }
          },
          std::chrono::seconds(10)) &&
      eventually([&] { return events->count("performed") == 1; }, std::chrono::seconds(20));
  EXPECT_TRUE(woken) << "the idle worker was not woken after the failover";
  waker.stop();
  const long long failed = c.command({"LLEN", "{resque}:failed"}).integer();
  std::lock_guard<std::mutex> lock(mu);
  long long lost = 0, lost_unreplicated = 0, twice = 0;
  for (long long id = 0; id < jobs; ++id)
    if (performed.count(id) == 0) ++(must_run(id) ? lost : lost_unreplicated);
  for (const auto& [id, n] : performed) twice += n > 1 ? 1 : 0;
  std::cout << (crash ? "[ cluster crash ] master SIGKILLed after "
                      : "[ cluster failover ] CLUSTER FAILOVER after ")
            << at_failover << " acknowledged enqueues, replica promoted after " << done_at.load()
            << "; enqueued " << jobs << " (" << enqueue_errors.load() << " enqueue errors retried";
  if (crash)
    std::cout << "; " << replicated.size() << " confirmed replicated, " << unreplicated.size()
              << " not";
  std::cout << "), performed " << performed.size() << ", performed twice " << twice << ", failed "
            << failed << ", lost " << lost;
  if (crash) std::cout << " (of the unreplicated: lost " << lost_unreplicated << ")";
  std::cout << std::endl;
  EXPECT_TRUE(all);
  EXPECT_EQ(lost, 0);
  if (!crash) {
    EXPECT_EQ(failed, 0);
  }
  // The slot moved: the former replica serves it, and the connection found it there.
  EXPECT_NE(new_master, old_master);
  EXPECT_EQ(port_of(c), cluster.node(new_master).port());
  EXPECT_EQ(c.command({"LLEN", "{resque}:queue:q"}).integer(), 0);
}

}  // namespace

TEST(Cluster, MasterFailoverDuringARunLosesNoAcknowledgedJob) {
  failover_run(/*crash=*/false);
}

TEST(Cluster, MasterKilledDuringARunLosesNoReplicatedJob) {
  failover_run(/*crash=*/true);
}
