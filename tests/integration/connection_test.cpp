#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"

using namespace resque;
using resque::test::RedisServer;

namespace {
// Built twice: as is, and with RESQUE_TEST_OVER_TLS against a server that only speaks TLS.
#ifdef RESQUE_TEST_OVER_TLS
constexpr bool kTls = true;
#else
constexpr bool kTls = false;
#endif

resque::test::RedisServerOptions server_opts() {
  resque::test::RedisServerOptions o;
  o.tls = kTls;
  return o;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Connection, PingSetGet) {
  RedisServer server(server_opts());
  Connection c(server.options());
  EXPECT_EQ(c.command({"PING"}).str(), "PONG");
  c.command({"SET", "k", "v"});
  EXPECT_EQ(c.command({"GET", "k"}).string(), "v");
  EXPECT_TRUE(c.command({"GET", "missing"}).is_nil());
}

TEST(Connection, NilIsNeverASilentZeroOrEmptyString) {
  RedisServer server(server_opts());
  Connection c(server.options());
  c.command({"SET", "n", "7"});
  EXPECT_THROW(c.command({"GET", "missing"}).integer(), ProtocolError);
  EXPECT_EQ(c.command({"GET", "missing"}).opt_integer(), std::nullopt);
  EXPECT_EQ(c.command({"GET", "n"}).opt_integer(), 7);
  const Reply mget = c.command({"MGET", "n", "missing"});
  EXPECT_THROW(mget.strings(), ProtocolError);
  EXPECT_EQ(mget.opt_strings(),
            (std::vector<std::optional<std::string>>{std::string("7"), std::nullopt}));
}

TEST(Connection, BinarySafeValues) {
  RedisServer server(server_opts());
  Connection c(server.options());
  const std::string value("a\0b\r\n\xff\x00z", 8);
  const std::string key("k\0ey", 4);
  c.command({"SET", key, value});
  auto got = c.command({"GET", key}).string();
  EXPECT_EQ(got, value);
  EXPECT_EQ(got.size(), 8u);
}

TEST(Connection, RefusedSaysWhere) {
  ConnectionOptions o;
  o.tls = kTls;
  o.port = resque::test::free_port();
  o.reconnect_attempts = 1;
  Connection c(o);
  auto msg = error_of([&] { c.command({"PING"}); });
  EXPECT_EQ(msg, "connecting to 127.0.0.1:" + std::to_string(o.port) + ": Connection refused");
  EXPECT_THROW(c.command({"PING"}), ConnectionError);
}

TEST(Connection, ConnectTimeoutAgainstSilentSocket) {
  // A listening socket with a full backlog that nobody accepts: the TCP handshake never ends
  // for later clients, or completes without any reply. Either way no PING ever answers.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 0), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ConnectionOptions o;
  o.tls = kTls;  // over TLS the handshake is what never completes
  o.port = ntohs(a.sin_port);
  o.connect_timeout = std::chrono::milliseconds(200);
  o.command_timeout = std::chrono::milliseconds(200);
  o.reconnect_attempts = 1;
  Connection c(o);
  EXPECT_THROW(c.command({"PING"}), TimeoutError);
  ::close(fd);
}

TEST(Connection, PasswordAuth) {
  auto so = server_opts();
  so.password = "s3cret";
  RedisServer server(so);
  Connection ok(server.options());
  EXPECT_EQ(ok.command({"PING"}).str(), "PONG");

  auto wrong = server.options();
  wrong.password = "nope";
  wrong.reconnect_attempts = 1;
  Connection bad(wrong);
  auto msg = error_of([&] { bad.command({"PING"}); });
  EXPECT_NE(msg.find("authenticating to 127.0.0.1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("WRONGPASS"), std::string::npos) << msg;

  auto none = server.options();
  none.password.clear();
  Connection anon(none);
  auto msg2 = error_of([&] { anon.command({"GET", "x"}); });
  EXPECT_NE(msg2.find("NOAUTH"), std::string::npos) << msg2;
}

TEST(Connection, AclUser) {
  RedisServer server(server_opts());
  Connection admin(server.options());
  admin.command({"ACL", "SETUSER", "jobs", "on", ">jobpass", "~resque:*", "+@all"});
  auto o = server.options();
  o.username = "jobs";
  o.password = "jobpass";
  Connection c(o);
  c.command({"SET", "resque:x", "1"});
  EXPECT_EQ(c.command({"GET", "resque:x"}).string(), "1");
  // The ACL limits the user to resque:* keys: the server's refusal comes back as ReplyError.
  EXPECT_THROW(c.command({"SET", "other", "1"}), ReplyError);
  o.password = "wrong";
  o.reconnect_attempts = 1;
  Connection bad(o);
  auto msg = error_of([&] { bad.command({"PING"}); });
  EXPECT_NE(msg.find("as jobs"), std::string::npos) << msg;
}

TEST(Connection, SelectDb) {
  RedisServer server(server_opts());
  auto o = server.options();
  o.db = 3;
  Connection c3(o);
  c3.command({"SET", "k", "in3"});
  Connection c0(server.options());
  EXPECT_TRUE(c0.command({"GET", "k"}).is_nil());
  c0.command({"SELECT", "3"});
  EXPECT_EQ(c0.command({"GET", "k"}).string(), "in3");
  // parse_redis_url's db reaches SELECT too.
  std::string url = server.url();  // over TLS it carries a query: the path goes before it
  url.insert(std::min(url.find('?'), url.size()), "/3");
  auto ou = parse_redis_url(url);
  Connection cu(ou);
  EXPECT_EQ(cu.command({"GET", "k"}).string(), "in3");
}

TEST(Connection, ReconnectsAfterClientKill) {
  RedisServer server(server_opts());
  Connection c(server.options());
  c.command({"CLIENT", "SETNAME", "victim"});
  Connection admin(server.options());
  admin.command({"CLIENT", "KILL", "SKIPME", "yes", "TYPE", "normal"});
  // The closed idle connection is noticed before anything is sent, so this is transparent.
  EXPECT_EQ(c.command({"PING"}).str(), "PONG");
  EXPECT_TRUE(c.command({"CLIENT", "GETNAME"}).is_nil());  // a new connection
}

TEST(Connection, ReconnectsAfterServerRestart) {
  RedisServer server(server_opts());
  Connection c(server.options());
  c.command({"SET", "a", "1"});
  server.restart();
  EXPECT_EQ(c.command({"PING"}).str(), "PONG");
}

TEST(Connection, ServerDownIsAConnectionErrorThenRecovers) {
  RedisServer server(server_opts());
  auto o = server.options();
  o.reconnect_attempts = 2;
  o.reconnect_backoff_min = std::chrono::milliseconds(1);
  Connection c(o);
  c.command({"PING"});
  server.stop();
  EXPECT_THROW(c.command({"PING"}), ConnectionError);
  server.start();
  EXPECT_EQ(c.command({"PING"}).str(), "PONG");
}

TEST(Connection, CommandTimeout) {
  RedisServer server(server_opts());
  auto o = server.options();
  o.command_timeout = std::chrono::milliseconds(100);
  Connection c(o);
  EXPECT_THROW(c.command({"BLPOP", "nothing", "2"}), TimeoutError);
  // The timed-out connection was dropped; the next command works on a fresh one.
  EXPECT_EQ(c.command({"PING"}).str(), "PONG");
}

TEST(Connection, ErrorReplyThrowsWithContext) {
  RedisServer server(server_opts());
  Connection c(server.options());
  c.command({"SET", "s", "x"});
  auto msg = error_of([&] { c.command({"LPUSH", "s", "y"}); });
  EXPECT_NE(msg.find("LPUSH on 127.0.0.1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("WRONGTYPE"), std::string::npos) << msg;
  EXPECT_TRUE(c.command_raw({"LPUSH", "s", "y"}).is_error());
}

TEST(Connection, Pipeline) {
  RedisServer server(server_opts());
  Connection c(server.options());
  auto replies = c.pipeline(
      {{"RPUSH", "l", "a"}, {"RPUSH", "l", "b"}, {"LPUSH", "l"}, {"LRANGE", "l", "0", "-1"}});
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_EQ(replies[0].integer(), 1);
  EXPECT_EQ(replies[1].integer(), 2);
  EXPECT_TRUE(replies[2].is_error());  // wrong arity: reported, the rest still ran
  EXPECT_EQ(replies[3].strings(), (std::vector<std::string>{"a", "b"}));
}

// Arguments from 16 KB go from the caller's memory by writev: sizes around that threshold, one
// larger than the socket's buffer (partial writes) and more pieces than one writev takes
// (IOV_MAX) must all arrive byte for byte, in order, beside small arguments.
TEST(Connection, LargeArgumentsArriveIntactAroundTheGatherThreshold) {
  RedisServer server(server_opts());
  Connection c(server.options());
  auto blob = [](std::size_t n, char seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
      s[i] = static_cast<char>(seed + i * 7 + (i % 13 == 0 ? '\r' : 0));
    return s;
  };
  const std::vector<std::string> values = {blob(16383, 'a'), blob(16384, 'b'), blob(16385, 'c'),
                                           blob(8u << 20, 'd'), "small"};
  std::vector<std::vector<std::string_view>> cmds;
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < values.size(); ++i) keys.push_back("k" + std::to_string(i));
  for (std::size_t i = 0; i < values.size(); ++i) cmds.push_back({"SET", keys[i], values[i]});
  for (const auto& r : c.pipeline_views(cmds)) EXPECT_EQ(r.str(), "OK");
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(c.command({"GET", keys[i]}).string(), values[i]) << keys[i];

  c.command({"SET", "one", values[3]});  // a single command takes the same path
  EXPECT_EQ(c.command({"STRLEN", "one"}).integer(), static_cast<long long>(values[3].size()));
  EXPECT_EQ(c.command({"GET", "one"}).string(), values[3]);

  // 700 large arguments in one command: 1,401 pieces, more than one writev sends.
  const std::string piece = blob(20000, 'e');
  std::vector<std::string_view> rpush{"RPUSH", "many"};
  for (int i = 0; i < 700; ++i) rpush.push_back(piece);
  EXPECT_EQ(c.command(rpush).integer(), 700);
  EXPECT_EQ(c.command({"LINDEX", "many", "699"}).string(), piece);
  EXPECT_EQ(c.command({"PING"}).str(), "PONG");  // the stream is still in step
}

TEST(Connection, ScriptSurvivesScriptFlushAndRestart) {
  RedisServer server(server_opts());
  Connection c(server.options());
  Script s("return redis.call('INCR', KEYS[1]) + tonumber(ARGV[1])");
  EXPECT_EQ(c.eval(s, {"n"}, {"10"}).integer(), 11);
  // Now cached: EVALSHA works directly.
  EXPECT_EQ(c.command({"SCRIPT", "EXISTS", s.sha1()}).element(0).integer(), 1);
  c.command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(c.eval(s, {"n"}, {"10"}).integer(), 12);  // NOSCRIPT -> EVAL
  server.restart();
  EXPECT_EQ(c.eval(s, {"n"}, {"0"}).integer(), 1);  // no persistence: n starts again
  Script bad("return redis.call('NOPE')");
  EXPECT_THROW(c.eval(bad, {}, {}), ReplyError);
}

TEST(ConnectionPool, SharedBetweenThreads) {
  RedisServer server(server_opts());
  ConnectionPool pool(server.options(), 3);
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 200; ++i) pool.acquire()->command({"INCR", "counter"});
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(pool.acquire()->command({"GET", "counter"}).integer(), 1600);
}

TEST(ConnectionPool, MoveAssigningALeaseReturnsItsConnection) {
  RedisServer server(server_opts());
  ConnectionPool pool(server.options(), 1);
  auto lease = pool.acquire();
  lease->command({"PING"});
  // With a pool of one, this acquire() would wait forever if the first connection were lost.
  lease = ConnectionPool::Lease(nullptr, nullptr);
  auto again = pool.acquire();
  EXPECT_EQ(again->command({"PING"}).str(), "PONG");
}
