#include "redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "resque/connection.hpp"
#include "resque/error.hpp"

namespace resque::test {

// Not from the kernel's ephemeral range (what bind to port 0 returns): ports from that range
// are handed to every client socket too, so another test's connection, or its free_port(),
// could take the port between our check and redis-server's bind, or while a test restarts its
// server. A random port below the range is checked free instead. The ceiling keeps port+10000
// (a cluster node's bus port) below the ephemeral range as well.
int free_port() {
  int floor_of_ephemeral = 32768;
  {
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    int lo = 0;
    if (range >> lo && lo > 20000) floor_of_ephemeral = lo;
  }
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> pick(10000, floor_of_ephemeral - 10001);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = pick(rng);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return port;
  }
  throw std::runtime_error("free_port: no free port found below the ephemeral range");
}

namespace {
void run_or_throw(const std::string& cmd) {
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("test certificates: failed: " + cmd);
}

struct CertDir {
  TlsCerts certs;
  CertDir() {
    char tmpl[] = "/tmp/resque-test-certs-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    TlsCerts& c = certs;
    c.dir = tmpl;
    c.ca_cert = c.dir + "/ca.crt";
    c.ca_key = c.dir + "/ca.key";
    c.server_cert = c.dir + "/server.crt";
    c.server_key = c.dir + "/server.key";
    c.client_cert = c.dir + "/client.crt";
    c.client_key = c.dir + "/client.key";
    c.other_ca_cert = c.dir + "/other-ca.crt";
    // EC keys: quick to make. Quiet unless something fails.
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string q = " >/dev/null 2>&1";
    const std::string& d = c.dir;
    run_or_throw("openssl req -x509" + key + " -keyout " + c.ca_key + " -out " + c.ca_cert +
                 " -days 2 -subj '/CN=resque test CA'" + q);
    run_or_throw("openssl req -x509" + key + " -keyout " + d + "/other-ca.key -out " +
                 c.other_ca_cert + " -days 2 -subj '/CN=unrelated CA'" + q);
    const auto leaf = [&](const std::string& name, const std::string& cn, const std::string& ext) {
      run_or_throw("printf '" + ext + "\\n' > " + d + "/" + name + ".ext");
      run_or_throw("openssl req" + key + " -keyout " + d + "/" + name + ".key -out " + d + "/" +
                   name + ".csr -subj '/CN=" + cn + "'" + q);
      run_or_throw("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + c.ca_cert +
                   " -CAkey " + c.ca_key + " -CAcreateserial -days 2 -out " + d + "/" + name +
                   ".crt -extfile " + d + "/" + name + ".ext" + q);
    };
    leaf("server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1");
    leaf("client", "resque test client", "extendedKeyUsage=clientAuth");
  }
  ~CertDir() {
    std::error_code ec;
    std::filesystem::remove_all(certs.dir, ec);
  }
};
}  // namespace

const TlsCerts& test_certs() {
  static CertDir dir;
  return dir.certs;
}

RedisServer::RedisServer(RedisServerOptions options) : opts_(std::move(options)) {
  char tmpl[] = "/tmp/resque-test-redis-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  // A port can be taken between free_port() and redis' bind; try a few.
  for (int attempt = 0;; ++attempt) {
    port_ = free_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt >= 4) throw;
    }
  }
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::url() const {
  if (!opts_.tls) return "redis://127.0.0.1:" + std::to_string(port_);
  const auto& c = test_certs();
  std::string u = "rediss://127.0.0.1:" + std::to_string(port_) + "?tls_ca_file=" + c.ca_cert;
  if (opts_.tls_auth_clients)
    u += "&tls_cert_file=" + c.client_cert + "&tls_key_file=" + c.client_key;
  return u;
}

ConnectionOptions RedisServer::options() const {
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = port_;
  o.password = opts_.password;
  if (opts_.tls) {
    o.tls = true;
    o.tls_ca_file = test_certs().ca_cert;
    if (opts_.tls_auth_clients) {
      o.tls_cert_file = test_certs().client_cert;
      o.tls_key_file = test_certs().client_key;
    }
  }
  return o;
}

void RedisServer::start() {
  if (pid_ > 0) return;
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   opts_.aof ? "yes" : "no",
                                   "--logfile",
                                   dir_ + "/redis.log",
                                   "--daemonize",
                                   "no"};
  if (opts_.aof) {
    args.push_back("--appendfsync");
    args.push_back("always");
  }
  if (!opts_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(opts_.password);
  }
  if (opts_.tls) {
    const auto& c = test_certs();
    args[2] = "0";  // no plain TCP port: everything must go through TLS
    const std::vector<std::string> tls = {
        "--tls-port",        std::to_string(port_), "--tls-cert-file",    c.server_cert,
        "--tls-key-file",    c.server_key,          "--tls-ca-cert-file", c.ca_cert,
        "--tls-auth-clients"};
    args.insert(args.end(), tls.begin(), tls.end());
    args.push_back(opts_.tls_auth_clients ? "yes" : "no");
  }
  if (opts_.sentinel_monitor_port != 0) {
    // Sentinel mode needs a config file it can rewrite; written once, kept across restarts.
    const std::string conf = dir_ + "/sentinel.conf";
    if (!std::filesystem::exists(conf)) {
      std::ofstream f(conf);
      const std::string& m = opts_.sentinel_master;
      f << "sentinel monitor " << m << " 127.0.0.1 " << opts_.sentinel_monitor_port << " 2\n"
        << "sentinel down-after-milliseconds " << m << " 1000\n"
        << "sentinel failover-timeout " << m << " 4000\n"
        << "sentinel parallel-syncs " << m << " 1\n";
    }
    args = {"redis-server",
            conf,
            "--sentinel",
            "--port",
            std::to_string(port_),
            "--bind",
            "127.0.0.1",
            "--dir",
            dir_,
            "--logfile",
            dir_ + "/redis.log",
            "--daemonize",
            "no"};
    if (opts_.tls) {
      // A sentinel that speaks TLS only, to clients, to the servers it monitors and to the
      // other sentinels (tls-replication), with the test CA's server certificate.
      const auto& c = test_certs();
      args[4] = "0";
      const std::vector<std::string> tls = {
          "--tls-port",         std::to_string(port_),
          "--tls-cert-file",    c.server_cert,
          "--tls-key-file",     c.server_key,
          "--tls-ca-cert-file", c.ca_cert,
          "--tls-replication",  "yes",
          "--tls-auth-clients", opts_.tls_auth_clients ? "yes" : "no"};
      args.insert(args.end(), tls.begin(), tls.end());
    }
  }
  for (const auto& a : opts_.extra_args) args.push_back(a);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  try {
    wait_ready();
  } catch (...) {
    kill();
    throw;
  }
}

void RedisServer::wait_ready() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  ConnectionOptions o = options();
  o.reconnect_attempts = 1;
  o.connect_timeout = std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at startup (port " + std::to_string(port_) +
                               ")");
    }
    try {
      Connection c(o);
      if (c.command({"PING"}).str() == "PONG") {
        // The answer must come from our redis-server, not from another test's that holds the
        // port (ours then fails to bind and exits): then the caller tries another port.
        const std::string info = c.command({"INFO", "server"}).string();
        const auto at = info.find("process_id:");
        if (at != std::string::npos && std::stol(info.substr(at + 11)) == pid_) return;
        throw std::runtime_error("port " + std::to_string(port_) +
                                 " is answered by another redis-server");
      }
    } catch (const resque::Error&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("redis-server did not answer PING within 10 s");
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill();
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::restart() {
  stop();
  start();
}

}  // namespace resque::test
