#include "timefmt.hpp"

#include <cstdio>
#include <cstring>
#include <ctime>

namespace resque::detail {
namespace {
std::tm local_tm(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return tm;
}
std::tm utc_tm(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}
std::string fmt_tm(const char* f, const std::tm& tm) {
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, f, &tm);
  return std::string(buf, n);
}
}  // namespace

std::string ruby_failed_at(TimePoint t) {
  return fmt_tm("%Y/%m/%d %H:%M:%S %Z", local_tm(t));
}
std::string ruby_started(TimePoint t) {
  return fmt_tm("%Y-%m-%d %H:%M:%S %z", local_tm(t));
}
std::string iso_utc_z(TimePoint t) {
  return fmt_tm("%Y-%m-%dT%H:%M:%SZ", utc_tm(t));
}
std::string iso_offset(TimePoint t) {
  return fmt_tm("%Y-%m-%dT%H:%M:%S+00:00", utc_tm(t));
}

std::optional<TimePoint> parse_time(const std::string& s) {
  std::tm tm{};
  int off_sign = 1, off_h = 0, off_m = 0;
  const char* end = nullptr;
  if ((end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) != nullptr ||
      (end = strptime(s.c_str(), "%Y-%m-%d %H:%M:%S", &tm)) != nullptr) {
    while (*end == ' ') ++end;
    if (*end == '+' || *end == '-') {
      off_sign = *end == '-' ? -1 : 1;
      ++end;
      if (std::sscanf(end, "%2d:%2d", &off_h, &off_m) != 2 &&
          std::sscanf(end, "%2d%2d", &off_h, &off_m) != 2)
        return std::nullopt;
    }
  } else if ((end = strptime(s.c_str(), "%a %b %d %Y %H:%M:%S GMT", &tm)) != nullptr) {
    // JS Date#toString: "Sat Nov 28 2026 06:42:59 GMT+0000 (Coordinated Universal Time)"
    if (*end == '+' || *end == '-') {
      off_sign = *end == '-' ? -1 : 1;
      if (std::sscanf(end + 1, "%2d%2d", &off_h, &off_m) != 2) return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  const std::time_t utc = timegm(&tm) - off_sign * (off_h * 3600 + off_m * 60);
  return std::chrono::system_clock::from_time_t(utc);
}
}  // namespace resque::detail
