// TLS only: certificate and host name verification, the insecure option, client certificates,
// and a worker + queue round trip over TLS. The plain connection tests also run over TLS
// (integration_connection_tls, built from connection_test.cpp).
#include <gtest/gtest.h>

#include <functional>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using resque::test::RedisServer;
using resque::test::RedisServerOptions;
using resque::test::test_certs;

namespace {
RedisServerOptions tls_server(bool auth_clients = false) {
  RedisServerOptions o;
  o.tls = true;
  o.tls_auth_clients = auth_clients;
  return o;
}

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

ConnectionOptions once(ConnectionOptions o) {
  o.reconnect_attempts = 1;
  return o;
}
}  // namespace

TEST(Tls, VerifiedAgainstTheTestCaByIpAndByName) {
  RedisServer server(tls_server());
  Connection by_ip(server.options());
  EXPECT_EQ(by_ip.command({"PING"}).str(), "PONG");
  // The certificate names localhost too (checked as a DNS name, sent as SNI).
  auto o = server.options();
  o.host = "localhost";
  Connection by_name(o);
  EXPECT_EQ(by_name.command({"PING"}).str(), "PONG");
  // The URL form carries the same settings.
  Connection by_url(parse_redis_url(server.url()));
  EXPECT_EQ(by_url.command({"PING"}).str(), "PONG");
}

TEST(Tls, VerificationIsOnByDefault) {
  RedisServer server(tls_server());
  auto o = once(server.options());
  o.tls_ca_file.clear();  // the system's CAs, which never signed the test CA's certificates
  auto msg = error_of<ConnectionError>([&] { Connection(o).command({"PING"}); });
  EXPECT_NE(msg.find("TLS handshake with 127.0.0.1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("certificate was refused"), std::string::npos) << msg;
}

TEST(Tls, WrongCaIsRefusedWithAClearError) {
  RedisServer server(tls_server());
  auto o = once(server.options());
  o.tls_ca_file = test_certs().other_ca_cert;
  auto msg = error_of<ConnectionError>([&] { Connection(o).command({"PING"}); });
  // OpenSSL's reason ("self-signed certificate in certificate chain": redis sends its CA too).
  EXPECT_NE(msg.find("the server's certificate was refused: self-signed certificate"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("tls_ca_file"), std::string::npos) << msg;  // says what to set
}

TEST(Tls, WrongHostNameIsRefused) {
  RedisServer server(tls_server());
  auto o = once(server.options());
  o.tls_server_name = "redis.example.com";  // signed by the right CA, but for other names
  auto msg = error_of<ConnectionError>([&] { Connection(o).command({"PING"}); });
  EXPECT_NE(msg.find("hostname mismatch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("redis.example.com"), std::string::npos) << msg;
  // An IP address the certificate does not list is refused the same way.
  o.tls_server_name = "127.0.0.2";
  msg = error_of<ConnectionError>([&] { Connection(o).command({"PING"}); });
  EXPECT_NE(msg.find("IP address mismatch"), std::string::npos) << msg;
}

TEST(Tls, InsecureSkipVerifyAcceptsWhatVerificationRefuses) {
  RedisServer server(tls_server());
  auto o = once(server.options());
  o.tls_ca_file = test_certs().other_ca_cert;
  o.tls_server_name = "redis.example.com";
  EXPECT_THROW(Connection(o).command({"PING"}), ConnectionError);
  o.tls_insecure_skip_verify = true;
  Connection c(o);
  EXPECT_EQ(c.command({"PING"}).str(), "PONG");
  auto u = parse_redis_url("rediss://127.0.0.1:" + std::to_string(server.port()) +
                           "?tls_insecure_skip_verify=true");
  EXPECT_EQ(Connection(u).command({"PING"}).str(), "PONG");
}

TEST(Tls, ClientCertificate) {
  RedisServer server(tls_server(/*auth_clients=*/true));
  Connection with(server.options());
  EXPECT_EQ(with.command({"PING"}).str(), "PONG");
  auto o = once(server.options());
  o.tls_cert_file.clear();
  o.tls_key_file.clear();
  // The server refuses the handshake (or, under TLS 1.3, the first read after it).
  EXPECT_THROW(Connection(o).command({"PING"}), ConnectionError);
  // A key that does not belong to the certificate is a configuration error, found up front.
  o.tls_cert_file = test_certs().client_cert;
  o.tls_key_file = test_certs().server_key;
  auto msg = error_of<ConfigError>([&] { Connection(o).command({"PING"}); });
  EXPECT_NE(msg.find("tls_key_file"), std::string::npos) << msg;
}

TEST(Tls, UnreadableFilesAreConfigErrors) {
  RedisServer server(tls_server());
  auto o = once(server.options());
  o.tls_ca_file = "/nonexistent/ca.pem";
  auto msg = error_of<ConfigError>([&] { Connection(o).command({"PING"}); });
  EXPECT_NE(msg.find("tls_ca_file '/nonexistent/ca.pem'"), std::string::npos) << msg;
}

TEST(Tls, PlainClientCannotTalkToATlsServer) {
  RedisServer server(tls_server());
  auto o = once(server.options());
  o.tls = false;
  o.command_timeout = std::chrono::milliseconds(2000);
  EXPECT_THROW(Connection(o).command({"PING"}), ConnectionError);
}

TEST(Tls, WorkerAndQueueRoundTripWithClientCertificates) {
  using namespace resque::test;
  RedisServer server(tls_server(/*auth_clients=*/true));
  auto performed = std::make_shared<Recorder>();
  auto events = std::make_shared<Recorder>();
  auto reg = std::make_shared<JobRegistry>();
  reg->define_raw("Rec", [performed](const Job& j) {
    performed->add(j.queue + ":" + j.args.at(0).get<std::string>());
  });
  // A 60 s poll: the job can only be taken this soon through the pub/sub wake-up, so the
  // Notifier's subscription runs over TLS too.
  auto o = fast_worker({"q"}, std::chrono::seconds(60));
  o.events = recording_events(events);
  Worker w(server.options(), reg, o);
  w.start();
  ASSERT_TRUE(eventually([&] { return events->count("poll") >= 1; }));
  Queue q(server.options(), reg);
  ASSERT_TRUE(q.enqueue("q", "Rec", Json::array({"over-tls"})));
  EXPECT_TRUE(
      eventually([&] { return performed->count("q:over-tls") == 1; }, std::chrono::seconds(10)));
  EXPECT_TRUE(eventually([&] { return events->count("success:Rec") == 1; }));
  w.stop();
  Connection c(server.options());
  EXPECT_EQ(c.command({"GET", "resque:stat:processed"}).integer(), 1);
}
