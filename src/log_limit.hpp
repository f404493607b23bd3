#pragma once
// Reporting errors that repeat (a worker retrying against Redis that is down, or that refuses
// its password): each kind is logged at most once per interval, with how many were left out,
// so the default stderr sink is never flooded and never silent.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "resque/events.hpp"

namespace resque::detail {

/// The kind of a Redis error that retrying cannot fix (bad credentials, missing ACL permission,
/// a command this server does not have), or nullptr for one that may go away (Redis down,
/// restarting, a timeout).
inline const char* unfixable_error_kind(std::string_view msg) {
  auto has = [&](std::string_view s) { return msg.find(s) != std::string_view::npos; };
  if (has("WRONGPASS") || has("NOAUTH") || has("invalid password") || has("invalid username"))
    return "authentication";
  if (has("NOPERM")) return "permission";
  if (has("unknown command") || has("ERR unknown")) return "unknown command";
  return nullptr;
}

/// At most one line per kind per interval. Thread-safe.
class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::milliseconds every = std::chrono::seconds(10)) : every_(every) {}

  /// True when a message of `kind` may be logged now; `suppressed` is then how many were left
  /// out since the last one.
  bool allow(const std::string& kind, std::uint64_t& suppressed) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    if (seen_.size() > 64) seen_.clear();  // bounded: kinds come from message prefixes
    auto [it, fresh] = seen_.try_emplace(kind);
    if (!fresh && now - it->second.last < every_) {
      ++it->second.suppressed;
      return false;
    }
    suppressed = it->second.suppressed;
    it->second = {now, 0};
    return true;
  }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point last{};
    std::uint64_t suppressed = 0;
  };
  std::chrono::milliseconds every_;
  std::mutex mu_;
  std::map<std::string, Entry> seen_;
};

/// Logs `msg` (an error the caller recovers from by retrying) at Error level through `log`,
/// rate-limited by kind: an unfixable error says so. `prefix` holds the structured fields
/// ("worker=...").
inline void log_retried_error(const LogFunction& log, LogLimiter& limiter,
                              const std::string& prefix, const std::string& msg) {
  if (!log) return;
  const char* unfixable = unfixable_error_kind(msg);
  const std::string kind = unfixable ? unfixable : msg.substr(0, msg.find(':'));
  std::uint64_t suppressed = 0;
  if (!limiter.allow(kind, suppressed)) return;
  std::string line = prefix + " " + msg;
  if (unfixable)
    line += std::string(" [") + unfixable + " error: retrying cannot fix this; check the " +
            (std::string_view(unfixable) == "unknown command" ? "Redis version"
                                                              : "credentials and ACL") +
            "]";
  if (suppressed > 0)
    line += " (" + std::to_string(suppressed) + " more like it since the last report)";
  log(LogLevel::Error, line);
}

}  // namespace resque::detail
