// Redis Cluster pieces that need no server: hash slots, the namespace's hash tag, the
// redis+cluster:// URL.
#include <gtest/gtest.h>

#include "redis/cluster.hpp"
#include "resque/error.hpp"
#include "resque/options.hpp"

using resque::ConfigError;
using resque::parse_redis_url;
using resque::detail::hash_slot;
using resque::detail::namespace_hash_tag;

TEST(ClusterUnit, HashSlotsAsRedisComputesThem) {
  // Values from CLUSTER KEYSLOT on Redis 7.0.
  EXPECT_EQ(hash_slot("foo"), 12182);
  EXPECT_EQ(hash_slot("bar"), 5061);
  EXPECT_EQ(hash_slot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(hash_slot("{user1000}.following"), hash_slot("user1000"));
  EXPECT_EQ(hash_slot("{resque}:queue:q"), hash_slot("{resque}:stat:processed"));
  EXPECT_EQ(hash_slot("{}resque"), hash_slot("{}resque"));  // empty tag: the whole key
  EXPECT_NE(hash_slot("{}a"), hash_slot("a"));
}

TEST(ClusterUnit, NamespaceHashTag) {
  EXPECT_EQ(namespace_hash_tag("{resque}"), "resque");
  EXPECT_EQ(namespace_hash_tag("app:{jobs}:prod"), "jobs");
  EXPECT_EQ(namespace_hash_tag("{a}{b}"), "a");
  EXPECT_FALSE(namespace_hash_tag("resque"));
  EXPECT_FALSE(namespace_hash_tag(""));
  EXPECT_FALSE(namespace_hash_tag("{}resque"));  // empty tag: Redis hashes the whole key
  EXPECT_FALSE(namespace_hash_tag("{resque"));   // closed by a '}' in the key's name, or not
}

namespace {
std::string error_of(const std::string& url) {
  try {
    parse_redis_url(url);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(ClusterUnit, Url) {
  auto o = parse_redis_url("redis+cluster://u:p%40ss@n1:7000,n2,[::1]:7002/0");
  EXPECT_TRUE(o.cluster);
  EXPECT_EQ(o.cluster_nodes, (std::vector<std::string>{"n1:7000", "n2:6379", "[::1]:7002"}));
  EXPECT_EQ(o.host, "n1");
  EXPECT_EQ(o.port, 7000);
  EXPECT_EQ(o.db, 0);
  EXPECT_EQ(o.username, "u");
  EXPECT_EQ(o.password, "p@ss");
  EXPECT_FALSE(o.tls);
  EXPECT_EQ(o.describe(), "cluster via n1:7000,n2:6379,[::1]:7002");
  auto t = parse_redis_url("rediss+cluster://n1:7000?tls_ca_file=/ca.pem");
  EXPECT_TRUE(t.tls);
  EXPECT_TRUE(t.cluster);
  EXPECT_EQ(t.tls_ca_file, "/ca.pem");
  EXPECT_EQ(t.cluster_nodes, (std::vector<std::string>{"n1:7000"}));
  EXPECT_NE(error_of("redis+cluster://n1:7000/2").find("only database 0"), std::string::npos);
  EXPECT_NE(error_of("redis+cluster://n1,,n2").find("missing cluster node host"),
            std::string::npos);
  // Options alone: cluster with host and port as the one seed.
  resque::ConnectionOptions c;
  c.cluster = true;
  c.port = 7001;
  EXPECT_EQ(c.describe(), "cluster via 127.0.0.1:7001");
  // Passwords in the URL are hidden in messages as in the other forms.
  EXPECT_EQ(resque::redact_url("redis+cluster://u:secret@n1:7000"),
            "redis+cluster://u:***@n1:7000");
}
