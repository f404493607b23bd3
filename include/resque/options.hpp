#pragma once
/// @file options.hpp
/// How to reach Redis. Plain struct with documented defaults; parse_redis_url() builds one from
/// the URLs that REDIS_URL holds in the examples and tools.

#include <chrono>
#include <string>

namespace resque {

/// Connection settings. Thread-safety: a plain value; copy it freely.
struct ConnectionOptions {
  /// Host name or IP address. Default "127.0.0.1". Ignored when `unix_socket` is set.
  std::string host = "127.0.0.1";
  /// TCP port. Default 6379.
  int port = 6379;
  /// Path of a Unix socket; when non-empty it is used instead of host and port. Default empty.
  std::string unix_socket;
  /// Database selected after connecting (SELECT). Default 0.
  int db = 0;
  /// ACL user name (Redis 6+). Default empty: AUTH with the password only.
  std::string username;
  /// Password; empty means no AUTH. Default empty.
  std::string password;
  /// Limit for establishing the connection. Default 2 s.
  std::chrono::milliseconds connect_timeout{2000};
  /// Limit for one command's reply; zero means wait forever. Default 5 s. Blocking commands
  /// issued by workers extend it by their own block time.
  std::chrono::milliseconds command_timeout{5000};
  /// Enable TCP keepalive probes. Default true.
  bool keepalive = true;
  /// Key namespace: every key is "<ns>:<name>". Default "resque", as Ruby and node use.
  std::string key_namespace = "resque";
  /// Use TLS (rediss://). Needs a hiredis built with SSL; Default false.
  bool tls = false;
  /// Reconnect attempts after a broken connection, with exponential backoff starting at
  /// `reconnect_backoff_min` and capped at `reconnect_backoff_max`. Default 3.
  int reconnect_attempts = 3;
  /// First reconnect delay. Default 50 ms.
  std::chrono::milliseconds reconnect_backoff_min{50};
  /// Largest reconnect delay. Default 2 s.
  std::chrono::milliseconds reconnect_backoff_max{2000};

  /// "host:port", "unix:/path" for messages.
  std::string describe() const;
};

/// Parses `redis://[user:password@]host[:port][/db]`, `unix:///path/to/socket[?db=N]` and
/// `rediss://...` (TLS; refused with a clear ConfigError when hiredis has no SSL support).
/// Percent-escapes in user and password are decoded. Throws ConfigError on malformed input.
ConnectionOptions parse_redis_url(const std::string& url);

/// Options from the REDIS_URL environment variable, or the defaults when it is unset or empty.
ConnectionOptions options_from_env();

}  // namespace resque
