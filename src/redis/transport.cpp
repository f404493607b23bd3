#include "redis/transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "resque/error.hpp"

namespace resque::detail {

namespace {

using Clock = std::chrono::steady_clock;

// OpenSSL writes to the socket with write(2), which raises SIGPIPE when the server has gone;
// a library must not kill its host process, and must not change its signal dispositions
// either. So SIGPIPE is blocked in this thread around each OpenSSL call, and one it raised is
// consumed before unblocking (the approach libpq takes). Plain sockets use MSG_NOSIGNAL.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, &old_);
    sigset_t pending;
    sigpending(&pending);
    pending_before_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeGuard() {
    if (!pending_before_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGPIPE);
        timespec zero{};
        while (sigtimedwait(&s, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_{};
  bool pending_before_ = false;
};

// The newest OpenSSL error of this thread, or `fallback` when its queue is empty.
std::string ssl_error(const std::string& fallback) {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  if (last == 0) return fallback;
  char buf[256];
  ERR_error_string_n(last, buf, sizeof buf);
  return buf;
}

bool is_ip_literal(const std::string& s) {
  in6_addr a6{};
  in_addr a4{};
  return inet_pton(AF_INET, s.c_str(), &a4) == 1 || inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

}  // namespace

struct Transport::Tls {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  ~Tls() {
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
};

Transport::Transport(const ConnectionOptions& o) : where_(o.describe()) {
  const auto deadline = Clock::now() + o.connect_timeout;
  try {
    connect_socket(o, deadline);
    if (o.tls) handshake(o, deadline);
  } catch (...) {
    tls_.reset();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    throw;
  }
}

Transport::~Transport() {
  if (tls_ && tls_->ssl != nullptr) {
    // close_notify, best effort and without waiting: the server treats a bare close the same.
    SigpipeGuard guard;
    ERR_clear_error();
    SSL_shutdown(tls_->ssl);
    ERR_clear_error();
  }
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
}

void Transport::fail(const char* what, const std::string& why, bool timeout) const {
  // "connecting to host:port: ...", "TLS handshake with host:port: ...", "reading reply on
  // host:port: ..." (the I/O callers pass what they were doing, without a preposition).
  const char* sep =
      (std::strcmp(what, "connecting to") == 0 || std::strcmp(what, "TLS handshake with") == 0)
          ? " "
          : " on ";
  std::string msg = fmt::format("{}{}{}: {}", what, sep, where_, why);
  if (timeout) throw TimeoutError(msg);
  throw ConnectionError(msg);
}

bool Transport::wait(short events, Clock::time_point deadline, bool forever) const {
  for (;;) {
    int ms = -1;
    if (!forever) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      ms = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
    }
    pollfd p{fd_, events, 0};
    int r = ::poll(&p, 1, ms);
    if (r > 0) return true;  // ready, or an error/hangup the next call reports
    if (r == 0) return false;
    if (errno != EINTR) return true;
  }
}

void Transport::connect_socket(const ConnectionOptions& o, Clock::time_point deadline) {
  const char* what = "connecting to";
  const auto limit = fmt::format("no connection within {} ms", o.connect_timeout.count());
  auto try_one = [&](int family, const sockaddr* addr, socklen_t len) -> int {
    fd_ = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return errno;
    if (::connect(fd_, addr, len) == 0) return 0;
    int err = errno;
    if (err == EINPROGRESS || err == EAGAIN) {
      if (!wait(POLLOUT, deadline, false)) fail(what, limit, true);
      socklen_t elen = sizeof err;
      if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) err = errno;
    }
    if (err != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    return err;
  };

  if (!o.unix_socket.empty()) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (o.unix_socket.size() >= sizeof a.sun_path) fail(what, "socket path too long", false);
    std::memcpy(a.sun_path, o.unix_socket.data(), o.unix_socket.size());
    int err = try_one(AF_UNIX, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    if (err != 0) fail(what, std::strerror(err), false);
    return;
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(o.port);
  if (int rc = ::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &list); rc != 0)
    fail(what, gai_strerror(rc), false);
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(list, freeaddrinfo);
  int err = ECONNREFUSED;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    err = try_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
    if (err == 0) break;
  }
  if (err != 0) fail(what, std::strerror(err), false);
  // As hiredis did: no Nagle delay (requests are written whole), keepalive probes after 15 s
  // idle so a dead peer is noticed by a worker blocked in a long read.
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (o.keepalive) {
    int idle = 15, intvl = 5, cnt = 3;
    ::setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
  }
}

void Transport::handshake(const ConnectionOptions& o, Clock::time_point deadline) {
  const char* what = "TLS handshake with";
  ERR_clear_error();
  tls_ = std::make_unique<Tls>();
  tls_->ctx = SSL_CTX_new(TLS_client_method());
  if (tls_->ctx == nullptr) fail(what, ssl_error("SSL_CTX_new failed"), false);
  SSL_CTX* ctx = tls_->ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  auto config_error = [&](const std::string& setting, const std::string& file) {
    throw ConfigError(fmt::format("TLS for {}: cannot use {} '{}': {}", where_, setting, file,
                                  ssl_error("unreadable")));
  };
  if (!o.tls_insecure_skip_verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!o.tls_ca_file.empty() || !o.tls_ca_dir.empty()) {
      if (SSL_CTX_load_verify_locations(ctx,
                                        o.tls_ca_file.empty() ? nullptr : o.tls_ca_file.c_str(),
                                        o.tls_ca_dir.empty() ? nullptr : o.tls_ca_dir.c_str()) != 1)
        config_error(o.tls_ca_file.empty() ? "tls_ca_dir" : "tls_ca_file",
                     o.tls_ca_file.empty() ? o.tls_ca_dir : o.tls_ca_file);
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      config_error("the system CA store", X509_get_default_cert_file());
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!o.tls_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, o.tls_cert_file.c_str()) != 1)
      config_error("tls_cert_file", o.tls_cert_file);
    const std::string& key = o.tls_key_file.empty() ? o.tls_cert_file : o.tls_key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
      config_error("tls_key_file", key);
    if (SSL_CTX_check_private_key(ctx) != 1)
      config_error("tls_key_file (against tls_cert_file)", key);
  } else if (!o.tls_key_file.empty()) {
    throw ConfigError(fmt::format("TLS for {}: tls_key_file is set without tls_cert_file", where_));
  }

  tls_->ssl = SSL_new(ctx);
  if (tls_->ssl == nullptr || SSL_set_fd(tls_->ssl, fd_) != 1)
    fail(what, ssl_error("SSL_new failed"), false);
  SSL* ssl = tls_->ssl;
  const std::string name = o.tls_server_name.empty() ? o.host : o.tls_server_name;
  const bool ip = is_ip_literal(name);
  if (!ip && !name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());  // SNI: names only
  if (!o.tls_insecure_skip_verify && !name.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, name.c_str());
    }
  }
  for (;;) {
    ERR_clear_error();
    int r;
    {
      SigpipeGuard guard;
      r = SSL_connect(ssl);
    }
    if (r == 1) return;
    const int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, false))
        fail(what, fmt::format("no TLS handshake within {} ms", o.connect_timeout.count()), true);
      continue;
    }
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      ERR_clear_error();
      fail(what,
           fmt::format("the server's certificate was refused: {} (verifying as '{}'; set "
                       "tls_ca_file to the CA that signed it, or tls_server_name to the name it "
                       "carries)",
                       X509_verify_cert_error_string(verify), name),
           false);
    }
    fail(what,
         ssl_error(e == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno)
                                                        : "the server closed the connection"),
         false);
  }
}

void Transport::write_all(std::string_view data, std::chrono::milliseconds timeout,
                          const char* what) {
  const bool forever = timeout.count() <= 0;
  const auto deadline = Clock::now() + timeout;
  const auto limit = [&] { return fmt::format("could not send within {} ms", timeout.count()); };
  if (tls_) {
    while (!data.empty()) {
      ERR_clear_error();
      int n;
      {
        SigpipeGuard guard;
        n = SSL_write(tls_->ssl, data.data(),
                      static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
      }
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      const int e = SSL_get_error(tls_->ssl, n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (!wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, forever))
          fail(what, limit(), true);
        continue;
      }
      fail(what,
           ssl_error(e == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno)
                                                          : "Server closed the connection"),
           false);
    }
    return;
  }
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait(POLLOUT, deadline, forever)) fail(what, limit(), true);
      continue;
    }
    fail(what, n < 0 ? std::strerror(errno) : "Server closed the connection", false);
  }
}

void Transport::write_all(const std::vector<std::string_view>& pieces,
                          std::chrono::milliseconds timeout, const char* what) {
  if (tls_ || pieces.size() == 1) {
    // SSL_write copies into records anyway; one deadline for the whole request.
    const auto deadline = Clock::now() + timeout;
    for (const auto& p : pieces) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (timeout.count() > 0 && left.count() <= 0)
        fail(what, fmt::format("could not send within {} ms", timeout.count()), true);
      write_all(p, timeout.count() > 0 ? left : timeout, what);
    }
    return;
  }
  const bool forever = timeout.count() <= 0;
  const auto deadline = Clock::now() + timeout;
  std::vector<iovec> iov;
  iov.reserve(pieces.size());
  for (const auto& p : pieces)
    if (!p.empty()) iov.push_back({const_cast<char*>(p.data()), p.size()});
  std::size_t first = 0;
  while (first < iov.size()) {
    msghdr msg{};
    msg.msg_iov = iov.data() + first;
    // IOV_MAX (1024 on Linux) bounds one call; the rest goes in the next.
    msg.msg_iovlen = std::min<std::size_t>(iov.size() - first, 1024);
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      auto sent = static_cast<std::size_t>(n);
      while (first < iov.size() && sent >= iov[first].iov_len) sent -= iov[first++].iov_len;
      if (sent > 0) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + sent;
        iov[first].iov_len -= sent;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait(POLLOUT, deadline, forever))
        fail(what, fmt::format("could not send within {} ms", timeout.count()), true);
      continue;
    }
    fail(what, n < 0 ? std::strerror(errno) : "Server closed the connection", false);
  }
}

std::size_t Transport::read_some(char* buf, std::size_t cap, std::chrono::milliseconds timeout,
                                 const char* what) {
  const bool forever = timeout.count() <= 0;
  const auto deadline = Clock::now() + timeout;
  const auto limit = [&] { return fmt::format("no reply within {} ms", timeout.count()); };
  if (tls_) {
    for (;;) {
      ERR_clear_error();
      int n;
      {
        SigpipeGuard guard;
        n = SSL_read(tls_->ssl, buf, static_cast<int>(std::min<std::size_t>(cap, 1 << 30)));
      }
      if (n > 0) return static_cast<std::size_t>(n);
      const int e = SSL_get_error(tls_->ssl, n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (!wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, forever))
          fail(what, limit(), true);
        continue;
      }
      if (e == SSL_ERROR_ZERO_RETURN) fail(what, "Server closed the connection", false);
      fail(what,
           ssl_error(e == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno)
                                                          : "Server closed the connection"),
           false);
    }
  }
  for (;;) {
    ssize_t n = ::recv(fd_, buf, cap, 0);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) fail(what, "Server closed the connection", false);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait(POLLIN, deadline, forever)) fail(what, limit(), true);
      continue;
    }
    fail(what, std::strerror(errno), false);
  }
}

bool Transport::closed_while_idle() {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (tls_) {
    // Readable while idle: a close_notify, an EOF, or TLS 1.3 session tickets (which SSL_peek
    // consumes, then wants more).
    ERR_clear_error();
    char b;
    int n;
    {
      SigpipeGuard guard;
      n = SSL_peek(tls_->ssl, &b, 1);
    }
    if (n > 0) return false;
    const int e = SSL_get_error(tls_->ssl, n);
    ERR_clear_error();
    return e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
  }
  char b;
  ssize_t n = ::recv(fd_, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

}  // namespace resque::detail
