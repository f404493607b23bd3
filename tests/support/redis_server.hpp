#pragma once
// A real redis-server for one test: free loopback port, temporary directory, no persistence
// unless AOF is asked for; waits for PING; restartable; stopped by pid on destruction, also when
// the test fails (and killed with the test process through PR_SET_PDEATHSIG).

#include <sys/types.h>
#include <string>
#include <vector>

#include "resque/options.hpp"

namespace resque::test {

struct RedisServerOptions {
  bool aof = false;                     // --appendonly yes (restart durability tests)
  std::string password;                 // requirepass
  std::vector<std::string> extra_args;  // more redis-server arguments
  bool tls = false;                     // serve TLS only (--port 0 --tls-port), with test_certs();
                                        // a sentinel also monitors over TLS (tls-replication)
  bool tls_auth_clients = false;        // tls-auth-clients yes: options() then carry a client cert
  // A sentinel (redis-server --sentinel) monitoring "<sentinel_master>" at 127.0.0.1:<port>
  // with quorum 2 and a 1 s down-after, when sentinel_monitor_port is non-zero.
  int sentinel_monitor_port = 0;
  std::string sentinel_master = "mymaster";
};

/// Certificates made once per test process with the openssl CLI, in a temporary directory
/// removed at exit: a CA, a server certificate it signed for localhost and 127.0.0.1, a client
/// certificate it signed, and an unrelated CA that signed nothing here.
struct TlsCerts {
  std::string dir, ca_cert, ca_key, server_cert, server_key, client_cert, client_key, other_ca_cert;
};
const TlsCerts& test_certs();

class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  /// "redis://127.0.0.1:<port>" ("rediss://127.0.0.1:<port>?tls_ca_file=..." for TLS)
  std::string url() const;
  /// Options pointing at this server (with the password, if any; TLS settings for a TLS one).
  ConnectionOptions options() const;

  void stop();
  void start();
  /// Stops and starts again on the same port and directory (the AOF survives).
  void restart();
  /// SIGKILL, no shutdown (crash simulation).
  void kill();
  bool running() const { return pid_ > 0; }

 private:
  void wait_ready();
  RedisServerOptions opts_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string dir_;
};

/// A port on 127.0.0.1 that was free a moment ago.
int free_port();

}  // namespace resque::test
