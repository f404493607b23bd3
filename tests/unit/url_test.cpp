#include <gtest/gtest.h>

#include "resque/error.hpp"
#include "resque/options.hpp"

using resque::ConfigError;
using resque::parse_redis_url;

TEST(Url, HostPortDb) {
  auto o = parse_redis_url("redis://example.org:6390/3");
  EXPECT_EQ(o.host, "example.org");
  EXPECT_EQ(o.port, 6390);
  EXPECT_EQ(o.db, 3);
  EXPECT_TRUE(o.password.empty());
  EXPECT_EQ(o.key_namespace, "resque");
}

TEST(Url, Defaults) {
  auto o = parse_redis_url("redis://localhost");
  EXPECT_EQ(o.host, "localhost");
  EXPECT_EQ(o.port, 6379);
  EXPECT_EQ(o.db, 0);
}

TEST(Url, UserAndPasswordWithEscapes) {
  auto o = parse_redis_url("redis://alice:p%40ss%3Aw@10.0.0.1:7000/1");
  EXPECT_EQ(o.username, "alice");
  EXPECT_EQ(o.password, "p@ss:w");
  EXPECT_EQ(o.host, "10.0.0.1");
  EXPECT_EQ(o.port, 7000);
  EXPECT_EQ(o.db, 1);
}

TEST(Url, PasswordOnly) {
  auto o = parse_redis_url("redis://:secret@h");
  EXPECT_EQ(o.username, "");
  EXPECT_EQ(o.password, "secret");
  auto o2 = parse_redis_url("redis://secret@h");
  EXPECT_EQ(o2.password, "secret");
}

TEST(Url, Ipv6) {
  auto o = parse_redis_url("redis://[::1]:6380");
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 6380);
}

TEST(Url, UnixSocket) {
  auto o = parse_redis_url("unix:///run/redis/redis.sock?db=2");
  EXPECT_EQ(o.unix_socket, "/run/redis/redis.sock");
  EXPECT_EQ(o.db, 2);
  EXPECT_EQ(o.describe(), "unix:/run/redis/redis.sock");
}

static std::string error_of(const std::string& url) {
  try {
    parse_redis_url(url);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Url, MalformedOnesSayWhy) {
  EXPECT_NE(error_of("localhost:6379").find("expected redis://"), std::string::npos);
  EXPECT_NE(error_of("http://h").find("unknown scheme 'http'"), std::string::npos);
  EXPECT_NE(error_of("redis://h:port").find("port 'port' is not a number"), std::string::npos);
  EXPECT_NE(error_of("redis://h:70000").find("port 70000 is out of range"), std::string::npos);
  EXPECT_NE(error_of("redis://h:0").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("redis://h/x").find("database 'x' is not a number"), std::string::npos);
  EXPECT_NE(error_of("redis://:6379").find("missing host"), std::string::npos);
  EXPECT_NE(error_of("redis://[::1").find("unterminated IPv6"), std::string::npos);
  EXPECT_NE(error_of("unix://relative.sock").find("absolute socket path"), std::string::npos);
  EXPECT_NE(error_of("unix:///s.sock?foo=1").find("db=N"), std::string::npos);
  EXPECT_NE(error_of("redis://a:b%zz@h").find("percent-escape"), std::string::npos);
  // Every message names the URL it refused.
  EXPECT_NE(error_of("redis://h:port").find("'redis://h:port'"), std::string::npos);
}

TEST(Url, Tls) {
  auto o = parse_redis_url("rediss://u:p%3Fw@h.example:6380/2");
  EXPECT_TRUE(o.tls);
  EXPECT_EQ(o.host, "h.example");
  EXPECT_EQ(o.port, 6380);
  EXPECT_EQ(o.db, 2);
  EXPECT_EQ(o.password, "p?w");
  EXPECT_FALSE(o.tls_insecure_skip_verify);  // verification is on unless asked otherwise
  EXPECT_TRUE(o.tls_ca_file.empty());
  EXPECT_FALSE(parse_redis_url("redis://h").tls);

  auto q = parse_redis_url(
      "rediss://h/1?tls_ca_file=/etc/ca%20dir/ca.pem&tls_cert_file=/c.pem&tls_key_file=/k.pem"
      "&tls_server_name=redis.internal&tls_ca_dir=/cas");
  EXPECT_EQ(q.db, 1);
  EXPECT_EQ(q.tls_ca_file, "/etc/ca dir/ca.pem");
  EXPECT_EQ(q.tls_ca_dir, "/cas");
  EXPECT_EQ(q.tls_cert_file, "/c.pem");
  EXPECT_EQ(q.tls_key_file, "/k.pem");
  EXPECT_EQ(q.tls_server_name, "redis.internal");
  EXPECT_TRUE(parse_redis_url("rediss://h?tls_insecure_skip_verify=true").tls_insecure_skip_verify);
  EXPECT_EQ(parse_redis_url("redis://h?db=4").db, 4);
  // A password may hold '?' unescaped: the query starts after the credentials.
  EXPECT_EQ(parse_redis_url("rediss://:a?b@h?tls_server_name=x").password, "a?b");

  EXPECT_NE(error_of("redis://h?tls_ca_file=/x").find("needs rediss://"), std::string::npos);
  EXPECT_NE(error_of("rediss://h?bogus=1").find("unknown query parameter 'bogus'"),
            std::string::npos);
  EXPECT_NE(error_of("rediss://h?tls_insecure_skip_verify=yes").find("true or false"),
            std::string::npos);
  EXPECT_NE(error_of("rediss://h?tls_ca_file").find("has no '='"), std::string::npos);
}

TEST(Url, Sentinel) {
  auto o = parse_redis_url("redis+sentinel://u:p%40ss@s1:26380,s2,[::1]:26381/mymaster/3");
  EXPECT_EQ(o.sentinels, (std::vector<std::string>{"s1:26380", "s2:26379", "[::1]:26381"}));
  EXPECT_EQ(o.sentinel_master, "mymaster");
  EXPECT_EQ(o.db, 3);
  EXPECT_EQ(o.username, "u");  // the master's credentials
  EXPECT_EQ(o.password, "p@ss");
  EXPECT_TRUE(o.sentinel_password.empty());
  EXPECT_FALSE(o.tls);
  EXPECT_EQ(o.describe(), "master 'mymaster' via sentinel s1:26380,s2:26379,[::1]:26381");
  auto q = parse_redis_url("rediss+sentinel://s1/m?sentinel_password=x&tls_ca_file=/ca.pem");
  EXPECT_TRUE(q.tls);
  EXPECT_EQ(q.sentinel_password, "x");
  EXPECT_EQ(q.tls_ca_file, "/ca.pem");
  EXPECT_EQ(q.db, 0);
  EXPECT_NE(error_of("redis+sentinel://s1:26379").find("missing the master's name"),
            std::string::npos);
  EXPECT_NE(error_of("redis+sentinel://s1:x/m").find("port 'x' is not a number"),
            std::string::npos);
  EXPECT_NE(error_of("redis+sentinel://s1,,s2/m").find("missing sentinel host"), std::string::npos);
  EXPECT_NE(error_of("redis://h?sentinel_password=x").find("needs rediss://"), std::string::npos);
}

TEST(Url, FromEnv) {
  ::setenv("REDIS_URL", "redis://envhost:1234/5", 1);
  auto o = resque::options_from_env();
  EXPECT_EQ(o.host, "envhost");
  EXPECT_EQ(o.port, 1234);
  EXPECT_EQ(o.db, 5);
  ::unsetenv("REDIS_URL");
  EXPECT_EQ(resque::options_from_env().host, "127.0.0.1");
}

// issue 11: the deployment's dialect can travel in REDIS_URL, on every scheme.
TEST(Url, Dialect) {
  EXPECT_EQ(parse_redis_url("redis://h").dialect, resque::Dialect::ruby);  // the default
  EXPECT_EQ(parse_redis_url("redis://h?dialect=node").dialect, resque::Dialect::node);
  EXPECT_EQ(parse_redis_url("redis://h?dialect=ruby").dialect, resque::Dialect::ruby);
  const auto o = parse_redis_url("redis://h/3?dialect=node&db=4");
  EXPECT_EQ(o.dialect, resque::Dialect::node);
  EXPECT_EQ(o.db, 4);
  EXPECT_EQ(parse_redis_url("rediss://h?tls_server_name=x&dialect=node").dialect,
            resque::Dialect::node);
  const auto u = parse_redis_url("unix:///s.sock?db=2&dialect=node");
  EXPECT_EQ(u.dialect, resque::Dialect::node);
  EXPECT_EQ(u.db, 2);
  EXPECT_EQ(parse_redis_url("redis+sentinel://s1:26379/m?dialect=node").dialect,
            resque::Dialect::node);
  // An unknown value is refused, naming the setting and what it takes.
  const std::string e = error_of("redis://h?dialect=python");
  EXPECT_NE(e.find("dialect must be ruby or node, not 'python'"), std::string::npos) << e;
  EXPECT_NE(error_of("unix:///s.sock?dialect=").find("dialect must be"), std::string::npos);
  EXPECT_NE(error_of("redis://h?dialect=Ruby").find("dialect must be"), std::string::npos);
}
