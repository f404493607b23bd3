#pragma once
// A real Redis Cluster for one test: three masters and three replicas (redis-server 7.0 with
// cluster-enabled yes on free loopback ports, joined by `redis-cli --cluster create
// --cluster-replicas 1`), ready when every node reports cluster_state:ok and the same map.
// Stopped with its RedisServers (also when the test fails).

#include <memory>
#include <string>
#include <vector>

#include "redis_server.hpp"
#include "resque/options.hpp"

namespace resque::test {

class RedisCluster {
 public:
  RedisCluster();
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  /// Cluster options: every node a seed, the given namespace (hash-tagged by default).
  ConnectionOptions options(const std::string& key_namespace = "{resque}") const;
  /// "redis+cluster://127.0.0.1:<port>,..." with every node.
  std::string url() const;
  /// Plain options for node i alone (no cluster handling: for checks and admin commands).
  ConnectionOptions node_options(std::size_t i) const;
  std::size_t size() const { return nodes_.size(); }
  RedisServer& node(std::size_t i) { return *nodes_.at(i); }
  /// Index of the node with this port.
  std::size_t index_of_port(int port) const;

  /// The node that masters `slot` now, and its replica (as node i's CLUSTER SLOTS says).
  std::size_t master_of(int slot, std::size_t ask = 0) const;
  std::size_t replica_of(int slot, std::size_t ask = 0) const;
  /// CLUSTER MYID of node i.
  std::string id_of(std::size_t i) const;
  /// Every node answers cluster_state:ok and names the same master for every slot range.
  bool healthy() const;
  /// Polls healthy() until it holds (or 60 s pass).
  bool wait_healthy() const;
  /// A manual failover of `slot`'s master: CLUSTER FAILOVER on its replica, then waits until
  /// every node names the replica as the slot's master. Returns the new master's index.
  std::size_t failover(int slot);
  /// The crash of `slot`'s master: SIGKILL, then waits until every live node names its
  /// replica as the slot's master (elected after cluster-node-timeout). Returns its index.
  std::size_t kill_master(int slot);

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

}  // namespace resque::test
