#include "time/timefmt.hpp"

#include <cctz/civil_time.h>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <ctime>

namespace resque::detail {

namespace {

std::time_t to_time_t(TimePoint tp) {
  // floor, not truncation: 0.5 s before the epoch is second -1.
  return static_cast<std::time_t>(
      std::chrono::floor<std::chrono::seconds>(tp.time_since_epoch()).count());
}

std::tm local_tm(TimePoint tp) {
  const std::time_t t = to_time_t(tp);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

std::tm utc_tm(TimePoint tp) {
  const std::time_t t = to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

// A small cursor over the text being parsed.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;

  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
  bool eat(std::string_view word) {
    if (s.substr(i, word.size()) != word) return false;
    i += word.size();
    return true;
  }
  void spaces() {
    while (!done() && s[i] == ' ') ++i;
  }
  // Exactly `min`..`max` digits.
  bool digits(int min, int max, long long& out) {
    int n = 0;
    out = 0;
    while (n < max && !done() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      out = out * 10 + (s[i] - '0');
      ++i;
      ++n;
    }
    return n >= min;
  }
  std::string_view letters() {
    const std::size_t b = i;
    while (!done() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(b, i - b);
  }
};

struct Civil {
  long long year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  double fraction = 0;
};

bool valid(const Civil& c) {
  return c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31 && c.hour <= 23 &&
         c.minute <= 59 && c.second <= 60;
}

bool parse_clock(Cursor& c, Civil& v) {
  if (!c.digits(2, 2, v.hour) || !c.eat(':') || !c.digits(2, 2, v.minute) || !c.eat(':') ||
      !c.digits(2, 2, v.second))
    return false;
  if (c.eat('.') || c.eat(',')) {
    const std::size_t b = c.i;
    long long ignored = 0;
    if (!c.digits(1, 9, ignored)) return false;
    while (!c.done() && std::isdigit(static_cast<unsigned char>(c.peek()))) ++c.i;
    v.fraction =
        std::strtod(std::string("0." + std::string(c.s.substr(b, c.i - b))).c_str(), nullptr);
  }
  return true;
}

// "+HH:MM", "+HHMM", "+HH" -> seconds east of UTC.
bool parse_offset(Cursor& c, long long& offset) {
  int sign = 0;
  if (c.eat('+'))
    sign = 1;
  else if (c.eat('-'))
    sign = -1;
  else
    return false;
  long long h = 0, m = 0;
  if (!c.digits(2, 2, h)) return false;
  c.eat(':');
  if (std::isdigit(static_cast<unsigned char>(c.peek())) && !c.digits(2, 2, m)) return false;
  if (h > 23 || m > 59) return false;
  offset = sign * (h * 3600 + m * 60);
  return true;
}

// What follows the clock. Sets `local` when the text names no offset (or the local zone).
bool parse_zone(Cursor& c, bool& local, long long& offset) {
  c.spaces();
  local = false;
  offset = 0;
  if (c.done()) {
    local = true;
    return true;
  }
  if (c.peek() == '+' || c.peek() == '-') return parse_offset(c, offset);
  const std::string_view word = c.letters();
  if (word.empty()) return false;
  if (word == "Z") return true;
  if (word == "UTC" || word == "GMT") {
    if (c.peek() == '+' || c.peek() == '-') return parse_offset(c, offset);
    return true;
  }
  // Ruby's %Z of the local zone ("CET", "WEST"): meaningful only if it is ours.
  tzset();
  if (word == tzname[0] || word == tzname[1]) {
    local = true;
    return true;
  }
  return false;
}

// After the zone: nothing, or JavaScript's " (Zone Name)".
bool parse_tail(Cursor& c) {
  c.spaces();
  if (c.eat('(')) {
    while (!c.done() && c.peek() != ')') ++c.i;
    if (!c.eat(')')) return false;
    c.spaces();
  }
  return c.done();
}

// Whether `secs` since the epoch is representable as a TimePoint (nanoseconds in 64 bits).
bool fits_time_point(long long secs) {
  using std::chrono::seconds;
  const auto lim = std::chrono::duration_cast<seconds>(TimePoint::duration::max()).count() - 1;
  return secs >= -lim && secs <= lim;
}

std::optional<TimePoint> to_time_point(const Civil& v, bool local, long long offset) {
  if (!valid(v)) return std::nullopt;
  std::int64_t secs = 0;
  if (local) {
    std::tm tm{};
    tm.tm_year = static_cast<int>(v.year - 1900);
    tm.tm_mon = static_cast<int>(v.month - 1);
    tm.tm_mday = static_cast<int>(v.day);
    tm.tm_hour = static_cast<int>(v.hour);
    tm.tm_min = static_cast<int>(v.minute);
    tm.tm_sec = static_cast<int>(v.second);
    tm.tm_isdst = -1;
    const std::time_t t = std::mktime(&tm);
    if (t == static_cast<std::time_t>(-1) && v.year != 1969) return std::nullopt;
    secs = static_cast<std::int64_t>(t);
  } else {
    // cctz's civil_second normalises as the old hand-written arithmetic did: day 31 of a
    // 30-day month is the 1st of the next, second 60 the next minute.
    const cctz::civil_second cs(v.year, static_cast<int>(v.month), static_cast<int>(v.day),
                                static_cast<int>(v.hour), static_cast<int>(v.minute),
                                static_cast<int>(v.second));
    secs = (cs - cctz::civil_second(1970, 1, 1, 0, 0, 0)) - offset;
  }
  // A time_point counts nanoseconds: only years ~1678..2262 fit (found by fuzzing).
  if (!fits_time_point(secs)) return std::nullopt;
  auto tp = TimePoint(std::chrono::seconds(secs));
  if (v.fraction > 0)
    tp +=
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(v.fraction));
  return tp;
}

std::optional<TimePoint> parse_numeric_date(Cursor& c) {
  Civil v;
  if (!c.digits(4, 4, v.year)) return std::nullopt;
  const char sep = c.peek();
  if (sep != '-' && sep != '/') return std::nullopt;
  ++c.i;
  if (!c.digits(2, 2, v.month) || !c.eat(sep) || !c.digits(2, 2, v.day)) return std::nullopt;
  if (!c.eat('T') && !c.eat(' ')) return std::nullopt;
  if (!parse_clock(c, v)) return std::nullopt;
  bool local = false;
  long long offset = 0;
  if (!parse_zone(c, local, offset) || !parse_tail(c)) return std::nullopt;
  return to_time_point(v, local, offset);
}

std::optional<TimePoint> parse_js_date(Cursor& c) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  Civil v;
  if (c.letters().size() != 3) return std::nullopt;  // weekday, not checked against the date
  c.spaces();
  const std::string_view mon = c.letters();
  for (int m = 0; m < 12; ++m)
    if (mon == kMonths[m]) v.month = m + 1;
  if (v.month == 0) return std::nullopt;
  c.spaces();
  if (!c.digits(1, 2, v.day)) return std::nullopt;
  c.spaces();
  if (!c.digits(4, 4, v.year)) return std::nullopt;
  c.spaces();
  if (!parse_clock(c, v)) return std::nullopt;
  bool local = false;
  long long offset = 0;
  if (!parse_zone(c, local, offset) || !parse_tail(c)) return std::nullopt;
  return to_time_point(v, local, offset);
}

}  // namespace

// Formatting goes through fmt's chrono support on a std::tm from localtime_r / gmtime_r, never
// on a time_point: fmt 9 formats a system_clock time_point in local time and fmt 10 in UTC. The
// local zone is the C library's, as Ruby's Time#to_s and Time#strftime read it (TZ may be a POSIX
// rule string such as "CET-1CEST,M3.5.0,M10.5.0/3", which only libc understands); %z and %Z
// come from tm_gmtoff and tm_zone.

std::string ruby_failed_at(TimePoint tp) {
  return fmt::format("{:%Y/%m/%d %H:%M:%S %Z}", local_tm(tp));
}

std::string node_failed_at(TimePoint tp) {
  return fmt::format("{:%Y/%m/%d %H:%M:%S}", local_tm(tp));
}

std::string ruby_started(TimePoint tp) {
  return fmt::format("{:%Y-%m-%d %H:%M:%S %z}", local_tm(tp));
}

std::string iso_utc_z(TimePoint tp) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", utc_tm(tp));
}

std::string iso_offset(TimePoint tp) {
  // "+01:00": fmt 9 has no %Ez, so the offset is written from tm_gmtoff.
  const std::tm tm = local_tm(tp);
  const long off = tm.tm_gmtoff;
  const long a = off < 0 ? -off : off;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}{}{:02}:{:02}", tm, off < 0 ? '-' : '+', a / 3600,
                     (a % 3600) / 60);
}

std::optional<TimePoint> parse_time(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  Cursor c{text};
  // Epoch seconds (node's :started); 4 digits followed by '-' or '/' is a date instead.
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    if (text.size() > 12) return std::nullopt;
    long long secs = 0;
    c.digits(1, 12, secs);
    if (!fits_time_point(secs)) return std::nullopt;  // past ~2262 (found by fuzzing)
    return TimePoint(std::chrono::seconds(secs));
  }
  if (std::isdigit(static_cast<unsigned char>(text.front()))) return parse_numeric_date(c);
  if (std::isalpha(static_cast<unsigned char>(text.front()))) return parse_js_date(c);
  return std::nullopt;
}

}  // namespace resque::detail
