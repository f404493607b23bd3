#pragma once
/// @file dashboard.hpp
/// A web dashboard for a Resque Redis (Ruby's, node's or resque-cpp's records alike), served by
/// cpp-httplib: overview, queues with paged jobs, working, workers, failed (backtraces, retry,
/// remove, retry all, clear, filters), delayed, schedules, locks, stats and /metrics
/// (Prometheus text). Plain HTML, no JavaScript. Every action is a POST carrying the
/// instance's CSRF token. It never shows a password.
#include <memory>
#include <string>

#include "resque/options.hpp"

namespace resque {

/// Dashboard settings. Plain struct with defaults.
struct DashboardOptions {
  /// Address to bind. Default "127.0.0.1" (loopback only; set "0.0.0.0" deliberately).
  std::string host = "127.0.0.1";
  /// Port; 0 picks a free one (see Dashboard::port()). Default 5678.
  int port = 5678;
  /// HTTP basic auth: required when `auth_user` is non-empty. Default off.
  std::string auth_user;
  std::string auth_password;
  /// Rows per page on the queue and failed pages. Default 50.
  int page_size = 50;
};

/// The dashboard server. Thread-safety: start(), stop() and port() may be called from any
/// thread; requests are served on the server's own threads.
class Dashboard {
 public:
  Dashboard(ConnectionOptions redis, DashboardOptions options = {});
  /// stop().
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  /// Binds and serves on a background thread. Throws ConfigError when it cannot bind.
  void start();
  /// Stops serving and joins the thread. Idempotent.
  void stop();
  /// The bound port (after start()).
  int port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace resque
