#pragma once
// The byte stream under a Connection: a plain socket (TCP or Unix) or an OpenSSL session over
// TCP. hiredis 0.14 (Debian 12) has no TLS, so hiredis is kept for the protocol only (its reply
// reader) and the bytes move here. Sockets are non-blocking; every wait is a poll() bounded by
// the caller's timeout, which is how connect, handshake and command timeouts are enforced.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resque/options.hpp"

namespace resque::detail {

class Transport {
 public:
  /// Connects and, when options.tls, completes the TLS handshake (certificate and host name
  /// verified unless tls_insecure_skip_verify), all within options.connect_timeout. Throws
  /// ConnectionError (TimeoutError when the limit passed) or ConfigError (unreadable TLS files).
  explicit Transport(const ConnectionOptions& options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  int fd() const { return fd_; }
  /// Sends every byte; `timeout` zero waits forever. Throws ConnectionError/TimeoutError whose
  /// message starts with `what`.
  void write_all(std::string_view data, std::chrono::milliseconds timeout, const char* what);
  /// The same for several pieces sent as one stream, with writev on a plain socket, so a large
  /// argument goes from where the caller holds it without being copied into a request buffer.
  void write_all(const std::vector<std::string_view>& pieces, std::chrono::milliseconds timeout,
                 const char* what);
  /// Reads at least one byte into buf; `timeout` zero waits forever. EOF is a ConnectionError.
  std::size_t read_some(char* buf, std::size_t cap, std::chrono::milliseconds timeout,
                        const char* what);
  /// True when the server closed the connection while nothing was outstanding (CLIENT KILL,
  /// restart, idle timeout). Never blocks.
  bool closed_while_idle();

 private:
  struct Tls;
  [[noreturn]] void fail(const char* what, const std::string& why, bool timeout) const;
  // Waits until fd_ is readable (events POLLIN) or writable (POLLOUT) or `deadline` passes.
  bool wait(short events, std::chrono::steady_clock::time_point deadline, bool forever) const;
  void connect_socket(const ConnectionOptions& o, std::chrono::steady_clock::time_point deadline);
  void handshake(const ConnectionOptions& o, std::chrono::steady_clock::time_point deadline);

  std::string where_;
  int fd_ = -1;
  std::unique_ptr<Tls> tls_;
};

}  // namespace resque::detail
