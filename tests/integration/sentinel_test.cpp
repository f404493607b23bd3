// Sentinel (label sentinel): a primary, a replica and three sentinels on loopback, started
// here. The connection asks the sentinels for the master and follows a failover by itself.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
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

namespace {

// Primary, replica and three sentinels, ready: the replica in sync and every sentinel aware of
// the replica and of the two other sentinels (needed to elect a leader for the failover).
struct SentinelSet {
  std::unique_ptr<RedisServer> primary, replica;
  std::vector<std::unique_ptr<RedisServer>> sentinels;

  bool tls = false;

  // tls: every server and sentinel speaks TLS only (replication and the sentinels' own links
  // too), with the test CA.
  explicit SentinelSet(bool with_tls = false) : tls(with_tls) {
    RedisServerOptions po;
    po.tls = tls;
    primary = std::make_unique<RedisServer>(po);
    RedisServerOptions ro;
    ro.tls = tls;
    ro.extra_args = {"--replicaof", "127.0.0.1", std::to_string(primary->port())};
    if (tls) ro.extra_args.insert(ro.extra_args.end(), {"--tls-replication", "yes"});
    replica = std::make_unique<RedisServer>(ro);
    for (int i = 0; i < 3; ++i) {
      RedisServerOptions so;
      so.tls = tls;
      so.sentinel_monitor_port = primary->port();
      sentinels.push_back(std::make_unique<RedisServer>(so));
    }
  }

  bool ready() {
    return eventually(
        [&] {
          try {
            Connection r(replica->options());
            if (r.command({"INFO", "replication"}).string().find("master_link_status:up") ==
                std::string::npos)
              return false;
            for (auto& s : sentinels) {
              Connection c(s->options());
              if (c.command({"SENTINEL", "replicas", "mymaster"}).size() < 1) return false;
              if (c.command({"SENTINEL", "sentinels", "mymaster"}).size() < 2) return false;
            }
            return true;
          } catch (const Error&) {
            return false;
          }
        },
        std::chrono::seconds(60));
  }

  ConnectionOptions options() const {
    std::string url = tls ? "rediss+sentinel://" : "redis+sentinel://";
    for (std::size_t i = 0; i < sentinels.size(); ++i)
      url += fmt::format("{}127.0.0.1:{}", i ? "," : "", sentinels[i]->port());
    url += "/mymaster";
    if (tls) url += "?tls_ca_file=" + test_certs().ca_cert;
    return parse_redis_url(url);
  }
};

}  // namespace

TEST(Sentinel, AsksTheSentinelsForTheMasterAndChecksItsRole) {
  SentinelSet set;
  ASSERT_TRUE(set.ready());
  auto o = set.options();
  ASSERT_EQ(o.sentinels.size(), 3u);
  Connection c(o);
  c.command({"SET", "k", "v"});
  // The write went to the primary: the replica has it too once replicated.
  Connection p(set.primary->options());
  EXPECT_EQ(p.command({"GET", "k"}).string(), "v");
  EXPECT_EQ(c.command({"ROLE"}).element(0).string(), "master");

  auto unknown = o;
  unknown.sentinel_master = "nosuchmaster";
  unknown.reconnect_attempts = 1;
  try {
    Connection(unknown).command({"PING"});
    ADD_FAILURE() << "connected to an unknown master";
  } catch (const ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find("does not know it"), std::string::npos) << e.what();
  }
}

namespace {
// Marks a job durable when its enqueue reached the replica (WAIT, on the connection that wrote
// it: what a caller who needs durability across a failover does), or was written on the
// promoted replica itself (no further failover happens in this test).
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
}  // namespace

TEST(Sentinel, PrimaryKilledDuringEnqueuesAndWorkersLosesNoReplicatedJob) {
  SentinelSet set;
  ASSERT_TRUE(set.ready());
  const auto o = set.options();
  constexpr long long kJobs = 300;

  std::mutex mu;
  std::map<long long, int> performed;
  std::set<long long> replicated, unreplicated;
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw(
      "Job",
      [&](const Job& j) {
        std::lock_guard<std::mutex> lock(mu);
        ++performed[j.args.at(0).get<long long>()];
      },
      {std::make_shared<WaitForReplica>(set.replica->port(), [&](long long id, bool ok) {
        std::lock_guard<std::mutex> lock(mu);
        (ok ? replicated : unreplicated).insert(id);
      })});

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 2; ++i) {
    workers.push_back(
        std::make_unique<Worker>(o, reg, fast_worker({"q"}, std::chrono::milliseconds(100))));
    workers.back()->start();
  }

  std::atomic<long long> acknowledged{0};
  std::atomic<int> enqueue_errors{0};
  std::thread enqueuer([&] {
    Queue q(o, reg);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    for (long long i = 0; i < kJobs && std::chrono::steady_clock::now() < deadline;) {
      try {
        q.enqueue("q", "Job", Json::array({i}));
        acknowledged = ++i;
      } catch (const ConnectionError&) {
        // Not acknowledged: maybe written, maybe not. Sent again (so it may run twice).
        ++enqueue_errors;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  ASSERT_TRUE(eventually([&] { return acknowledged >= kJobs / 3; }, std::chrono::seconds(30)));
  set.primary->kill();  // SIGKILL mid-run
  enqueuer.join();
  ASSERT_EQ(acknowledged.load(), kJobs) << "enqueues did not resume after the failover";

  // Every job whose enqueue was acknowledged and replicated is performed.
  const bool all = eventually(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        for (long long id : replicated)
          if (performed.count(id) == 0) return false;
        return true;
      },
      std::chrono::seconds(60));
  for (auto& w : workers) w->stop(std::chrono::seconds(10));

  std::lock_guard<std::mutex> lock(mu);
  long long lost = 0, lost_unreplicated = 0, twice = 0;
  for (long long id : replicated) lost += performed.count(id) == 0 ? 1 : 0;
  for (long long id : unreplicated) lost_unreplicated += performed.count(id) == 0 ? 1 : 0;
  for (const auto& [id, n] : performed) twice += n > 1 ? 1 : 0;
  std::printf(
      "sentinel failover: %lld jobs acknowledged (%zu confirmed replicated, %zu not), %d enqueue "
      "errors retried; lost %lld of the replicated, %lld of the unreplicated; performed twice "
      "%lld\n",
      kJobs, replicated.size(), unreplicated.size(), enqueue_errors.load(), lost, lost_unreplicated,
      twice);
  EXPECT_TRUE(all);
  EXPECT_EQ(lost, 0);
  // The master now is the former replica.
  Connection c(o);
  EXPECT_EQ(c.command({"ROLE"}).element(0).string(), "master");
  Connection r(set.replica->options());
  EXPECT_EQ(r.command({"ROLE"}).element(0).string(), "master");
}

TEST(Sentinel, SentinelsSpeakingTlsOnlyNameTheMasterAndAFailoverIsFollowed) {
  SentinelSet set(/*with_tls=*/true);
  ASSERT_TRUE(set.ready());
  const auto o = set.options();
  ASSERT_TRUE(o.tls);
  // A plain client cannot even ask the sentinels: they speak TLS only.
  auto plain = o;
  plain.tls = false;
  plain.reconnect_attempts = 1;
  plain.connect_timeout = plain.command_timeout = std::chrono::milliseconds(1000);
  EXPECT_THROW(Connection(plain).command({"PING"}), ConnectionError);
  // Nor a client that does not trust the sentinels' CA (each is asked; none is believed).
  auto untrusting = o;
  untrusting.tls_ca_file = test_certs().other_ca_cert;
  untrusting.reconnect_attempts = 1;
  try {
    Connection(untrusting).command({"PING"});
    ADD_FAILURE() << "connected through sentinels whose certificate was not trusted";
  } catch (const ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find("certificate was refused"), std::string::npos) << e.what();
  }

  // Over TLS: the sentinels name the primary, the connection checks ROLE and writes there.
  Connection c(o);
  c.command({"SET", "k", "v"});
  Connection p(set.primary->options());
  EXPECT_EQ(p.command({"GET", "k"}).string(), "v");
  EXPECT_EQ(c.command({"CONFIG", "GET", "tls-port"}).element(1).string(),
            std::to_string(set.primary->port()));

  // A queue and a worker through the TLS sentinels (the worker's notifier too).
  auto performed = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("Rec", [performed](const Job& j) { performed->add(j.args.at(0).dump()); });
  Worker w(o, reg, fast_worker({"q"}, std::chrono::milliseconds(100)));
  w.start();
  Queue q(o, reg);
  ASSERT_TRUE(q.enqueue("q", "Rec", Json::array({1})));
  EXPECT_TRUE(eventually([&] { return performed->count("1") == 1; }));

  // The primary dies: the TLS sentinels promote the replica, and the connection follows.
  set.primary->kill();
  const std::string replica_port = std::to_string(set.replica->port());
  EXPECT_TRUE(eventually(
      [&] {
        try {
          return c.command({"ROLE"}).element(0).string() == "master" &&
                 c.command({"CONFIG", "GET", "tls-port"}).element(1).string() == replica_port;
        } catch (const Error&) {
          return false;
        }
      },
      std::chrono::seconds(60)));
  EXPECT_TRUE(eventually(
      [&] {
        try {
          return q.enqueue("q", "Rec", Json::array({2}));
        } catch (const Error&) {
          return false;
        }
      },
      std::chrono::seconds(30)));
  EXPECT_TRUE(eventually([&] { return performed->count("2") >= 1; }, std::chrono::seconds(30)));
  EXPECT_TRUE(w.stop(std::chrono::seconds(10)));
}
