#include "cutting_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace resque::test {

namespace {
bool write_all(int fd, const char* p, ssize_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, static_cast<std::size_t>(n), MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= w;
  }
  return true;
}
}  // namespace

CuttingProxy::CuttingProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("proxy: socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("proxy: bind/listen failed");
  }
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

CuttingProxy::~CuttingProxy() {
  stop_ = true;
  cut();
  acceptor_.join();
  for (auto& t : pumps_) t.join();
  ::close(listen_fd_);
}

int CuttingProxy::cut() {
  std::lock_guard<std::mutex> lock(mu_);
  // shutdown, not close: the pump thread owns the descriptors and closes them, so a number is
  // never reused while another thread still polls it.
  for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
  return static_cast<int>(open_.size());
}

void CuttingProxy::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    const int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(target_port_));
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      if (server >= 0) ::close(server);
      ::close(client);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) {
      ::close(server);
      ::close(client);
      break;
    }
    open_.push_back(client);
    pumps_.emplace_back([this, client, server] { pump(client, server); });
  }
}

void CuttingProxy::pump(int client, int server) {
  char buf[64 * 1024];
  pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  for (;;) {
    if (::poll(p, 2, 100) < 0) break;
    bool ok = true;
    for (int i = 0; i < 2 && ok; ++i) {
      if (p[i].revents == 0) continue;
      const ssize_t n = ::recv(p[i].fd, buf, sizeof buf, 0);
      ok = n > 0 && write_all(p[1 - i].fd, buf, n);
    }
    if (!ok) break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    open_.erase(std::remove(open_.begin(), open_.end(), client), open_.end());
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(server, SHUT_RDWR);
    ::close(client);
    ::close(server);
  }
}

}  // namespace resque::test
