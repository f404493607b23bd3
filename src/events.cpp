#include "resque/events.hpp"

#include <cstdio>
#include <ctime>
#include <mutex>

namespace resque {

namespace {

// "2026-11-30T13:51:17.123Z"
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[96];  // room for any int the compiler imagines
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

LogFunction stderr_logger(LogLevel min) {
  return [min](LogLevel level, std::string_view msg) {
    if (level < min) return;
    static std::mutex mu;  // one line at a time across threads
    static const char* names[] = {"debug", "info", "warning", "error"};
    const std::string ts = timestamp();
    std::lock_guard<std::mutex> lock(mu);
    std::fprintf(stderr, "%s resque [%s] %.*s\n", ts.c_str(), names[static_cast<int>(level)],
                 static_cast<int>(msg.size()), msg.data());
  };
}

LogFunction default_logger() {
  return stderr_logger(LogLevel::Warning);
}

}  // namespace resque
