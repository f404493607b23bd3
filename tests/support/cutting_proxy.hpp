#pragma once
// A TCP proxy between clients and one loopback redis-server that can cut every open connection
// at once (the fault tests' "connection-cutting proxy"). Thread-safety: cut() and the accessors
// may be called from any thread while the proxy forwards.

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace resque::test {

class CuttingProxy {
 public:
  /// Listens on a free loopback port and forwards to 127.0.0.1:<target_port>.
  explicit CuttingProxy(int target_port);
  ~CuttingProxy();
  CuttingProxy(const CuttingProxy&) = delete;
  CuttingProxy& operator=(const CuttingProxy&) = delete;

  int port() const { return port_; }
  /// Cuts every open connection (both sides see a reset/EOF); returns how many were open.
  int cut();

 private:
  void accept_loop();
  void pump(int client, int server);

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<int> open_;  // client fds of live connections (each pump closes its own pair)
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace resque::test
