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

TEST(Url, TlsNeedsSslHiredis) {
#ifndef RESQUE_HAVE_HIREDIS_SSL
  EXPECT_NE(error_of("rediss://h:6380").find("TLS"), std::string::npos);
#else
  EXPECT_TRUE(parse_redis_url("rediss://h:6380").tls);
#endif
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
