#include "redis_cluster.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "process.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"

namespace resque::test {

namespace {
// [[first, last, [host, port, id], [replica host, port, id]...]...] as (first, last, ports).
struct Range {
  long long first, last;
  std::vector<long long> ports;  // master first
};

std::vector<Range> slot_map(const ConnectionOptions& o) {
  Connection c(o);
  const Reply map = c.command({"CLUSTER", "SLOTS"});
  std::vector<Range> out;
  for (std::size_t i = 0; i < map.size(); ++i) {
    const Reply r = map.element(i);
    Range range{r.element(0).integer(), r.element(1).integer(), {}};
    for (std::size_t j = 2; j < r.size(); ++j)
      range.ports.push_back(r.element(j).element(1).integer());
    out.push_back(range);
  }
  return out;
}
}  // namespace

RedisCluster::RedisCluster() {
  for (int i = 0; i < 6; ++i) {
    RedisServerOptions so;
    // A short node timeout: a killed master is noticed within a second or two. The bus port
    // is chosen too: port + 10000 (the default) may be taken, or above 65535. No 5 s wait
    // before a replica's first (diskless) sync.
    so.extra_args = {"--cluster-enabled",
                     "yes",
                     "--cluster-node-timeout",
                     "1000",
                     "--cluster-config-file",
                     "nodes.conf",
                     "--cluster-port",
                     std::to_string(free_port()),
                     "--repl-diskless-sync-delay",
                     "0"};
    nodes_.push_back(std::make_unique<RedisServer>(so));
  }
  std::vector<std::string> argv = {"redis-cli", "--cluster", "create"};
  for (const auto& n : nodes_) argv.push_back(fmt::format("127.0.0.1:{}", n->port()));
  argv.insert(argv.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  const auto [status, output] = run(argv, {}, std::chrono::seconds(60));
  if (status != 0) throw std::runtime_error("redis-cli --cluster create failed: " + output);
  if (!wait_healthy()) throw std::runtime_error("the cluster did not become healthy in 60 s");
}

RedisCluster::~RedisCluster() = default;

ConnectionOptions RedisCluster::options(const std::string& key_namespace) const {
  ConnectionOptions o = node_options(0);
  o.cluster = true;
  for (const auto& n : nodes_) o.cluster_nodes.push_back(fmt::format("127.0.0.1:{}", n->port()));
  o.key_namespace = key_namespace;
  return o;
}

std::string RedisCluster::url() const {
  std::string u = "redis+cluster://";
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    u += fmt::format("{}127.0.0.1:{}", i ? "," : "", nodes_[i]->port());
  return u;
}

ConnectionOptions RedisCluster::node_options(std::size_t i) const {
  ConnectionOptions o = nodes_.at(i)->options();
  o.reconnect_attempts = 1;
  return o;
}

std::size_t RedisCluster::index_of_port(int port) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i]->port() == port) return i;
  throw std::runtime_error(fmt::format("no node of the cluster has port {}", port));
}

std::size_t RedisCluster::master_of(int slot, std::size_t ask) const {
  for (const auto& r : slot_map(node_options(ask)))
    if (slot >= r.first && slot <= r.last) return index_of_port(static_cast<int>(r.ports.at(0)));
  throw std::runtime_error(fmt::format("slot {} has no master", slot));
}

std::size_t RedisCluster::replica_of(int slot, std::size_t ask) const {
  // Asked of the replicas themselves (ROLE: "slave", master host, master port, state): the
  // other nodes' views (CLUSTER SLOTS, CLUSTER NODES) learn of a replica by gossip, later.
  const int master_port = nodes_.at(master_of(slot, ask))->port();
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i]->running()) continue;
    try {
      Connection c(node_options(i));
      const Reply role = c.command({"ROLE"});
      if (role.element(0).string() == "slave" && role.element(2).integer() == master_port) return i;
    } catch (const Error&) {
    }
  }
  throw std::runtime_error(fmt::format("slot {} has no replica", slot));
}

std::string RedisCluster::id_of(std::size_t i) const {
  Connection c(node_options(i));
  return c.command({"CLUSTER", "MYID"}).string();
}

bool RedisCluster::healthy() const {
  try {
    std::vector<Range> first;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      Connection c(node_options(i));
      if (c.command({"CLUSTER", "INFO"}).string().find("cluster_state:ok") == std::string::npos)
        return false;
      // A replica in sync with its master (what CLUSTER FAILOVER needs).
      const std::string role = c.command({"ROLE"}).element(0).string();
      if (role == "slave" &&
          c.command({"INFO", "replication"}).string().find("master_link_status:up") ==
              std::string::npos)
        return false;
      // Three ranges, the same masters named by every node.
      auto map = slot_map(node_options(i));
      if (map.size() != 3) return false;
      std::sort(map.begin(), map.end(),
                [](const Range& a, const Range& b) { return a.first < b.first; });
      if (i == 0) {
        first = map;
        continue;
      }
      for (std::size_t k = 0; k < map.size(); ++k)
        if (map[k].first != first[k].first || map[k].ports.at(0) != first[k].ports.at(0))
          return false;
    }
    // Three masters, three replicas.
    std::size_t replicas = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      Connection c(node_options(i));
      replicas += c.command({"ROLE"}).element(0).string() == "slave" ? 1 : 0;
    }
    return replicas == 3;
  } catch (const Error&) {
    return false;
  }
}

bool RedisCluster::wait_healthy() const {
  return eventually([&] { return healthy(); }, std::chrono::seconds(60));
}

namespace {
// Until every live node names the node at `port` as `slot`'s master (or `limit` passes).
bool wait_master(const RedisCluster& cluster,
                 const std::vector<std::unique_ptr<RedisServer>>& nodes, int slot, int port,
                 std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  return eventually(
      [&] {
        try {
          for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i]->running() && nodes[cluster.master_of(slot, i)]->port() != port)
              return false;
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      limit);
}
}  // namespace

std::size_t RedisCluster::failover(int slot) {
  const std::size_t replica = replica_of(slot);
  // A manual failover that does not finish within its own limit (5 s: a loaded machine) is
  // abandoned by Redis without a word; it is asked for again.
  for (int attempt = 0; attempt < 6; ++attempt) {
    try {
      Connection c(node_options(replica));
      if (c.command({"ROLE"}).element(0).string() != "master")  // else: gossip still spreading
        c.command({"CLUSTER", "FAILOVER"});
    } catch (const Error&) {
    }
    if (wait_master(*this, nodes_, slot, nodes_[replica]->port(), std::chrono::seconds(10)))
      return replica;
  }
  throw std::runtime_error("the manual failover did not complete in 60 s");
}
std::size_t RedisCluster::kill_master(int slot) {
  const std::size_t master = master_of(slot);
  const std::size_t replica = replica_of(slot);
  nodes_[master]->kill();
  // Asked of the replica: the dead master cannot answer.
  if (!wait_master(*this, nodes_, slot, nodes_[replica]->port()))
    throw std::runtime_error("the replica was not promoted within 60 s of the master's crash");
  return replica;
}

}  // namespace resque::test
