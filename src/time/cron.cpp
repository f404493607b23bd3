#include "time/cron.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "resque/error.hpp"

namespace resque::detail {

namespace {

struct FieldSpec {
  const char* what;
  int min, max;
  const char* const* names;  // names[i] is value min + i (or null)
};

const char* const kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                               "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const FieldSpec kSecond{"second", 0, 59, nullptr};
const FieldSpec kMinute{"minute", 0, 59, nullptr};
const FieldSpec kHour{"hour", 0, 23, nullptr};
const FieldSpec kDom{"day of month", 1, 31, nullptr};
const FieldSpec kMonth{"month", 1, 12, kMonths};
const FieldSpec kDow{"day of week", 0, 7, kDays};

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

[[noreturn]] void bad(const std::string& expr, const FieldSpec& f, const std::string& item,
                      const char* why) {
  throw ConfigError(fmt::format("cron expression '{}': {} field '{}' {}", expr, f.what, item, why));
}

int value(const std::string& expr, const FieldSpec& f, const std::string& item,
          const std::string& tok) {
  if (tok.empty()) bad(expr, f, item, "has an empty value");
  if (std::isdigit(static_cast<unsigned char>(tok[0]))) {
    std::size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(tok, &used);
    } catch (const std::exception&) {
      bad(expr, f, item, "is not a number");
    }
    if (used != tok.size()) bad(expr, f, item, "is not a number");
    if (v < f.min || v > f.max)
      bad(expr, f, item, fmt::format("is out of range {}-{}", f.min, f.max).c_str());
    return v;
  }
  if (f.names != nullptr) {
    const std::string u = upper(tok);
    const int n = f.max - f.min + 1 - (f.names == kDays ? 1 : 0);
    for (int i = 0; i < n; ++i)
      if (u == f.names[i]) return f.min + i;
  }
  bad(expr, f, item, "has an unknown value");
}

// Parses one field into a bit set (bit v = value v allowed).
std::uint64_t parse_field(const std::string& expr, const FieldSpec& f, const std::string& text,
                          bool* star, bool* last, std::vector<std::pair<int, int>>* nth) {
  if (star != nullptr) *star = !text.empty() && (text[0] == '*' || text[0] == '?');
  std::uint64_t bits = 0;
  std::stringstream ss(text);
  std::string item;
  bool any = false;
  while (std::getline(ss, item, ',')) {
    any = true;
    if (item.empty()) bad(expr, f, text, "has an empty list item");
    std::string range = item;
    int step = 1;
    const auto slash = item.find('/');
    if (slash != std::string::npos) {
      range = item.substr(0, slash);
      const std::string st = item.substr(slash + 1);
      if (st.empty() || st.size() > 4 || st.find_first_not_of("0123456789") != std::string::npos)
        bad(expr, f, item, "has a bad step");
      step = std::stoi(st);
      if (step < 1 || step > f.max) bad(expr, f, item, "has a step out of range");
    }
    const std::string ru = upper(range);
    if (last != nullptr && ru == "L" && slash == std::string::npos) {
      *last = true;
      continue;
    }
    if (nth != nullptr && slash == std::string::npos) {
      const auto hash = range.find('#');
      if (hash != std::string::npos) {
        const int d = value(expr, f, item, range.substr(0, hash)) % 7;
        const std::string n = range.substr(hash + 1);
        if (n.size() != 1 || n[0] < '1' || n[0] > '5') bad(expr, f, item, "needs #1 to #5");
        nth->emplace_back(d, n[0] - '0');
        continue;
      }
      if (ru.size() >= 2 && ru.back() == 'L') {
        const int d = value(expr, f, item, range.substr(0, range.size() - 1)) % 7;
        nth->emplace_back(d, -1);
        continue;
      }
    }
    int lo, hi;
    if (range == "*" || range == "?") {
      lo = f.min;
      hi = f.max;
    } else {
      const auto dash = range.find('-', 1);
      if (dash != std::string::npos) {
        lo = value(expr, f, item, range.substr(0, dash));
        hi = value(expr, f, item, range.substr(dash + 1));
      } else {
        lo = value(expr, f, item, range);
        hi = slash != std::string::npos ? f.max : lo;  // "a/n": from a to the end
      }
    }
    if (lo <= hi) {
      for (int v = lo; v <= hi; v += step) bits |= std::uint64_t{1} << v;
    } else {  // a wrapping range such as FRI-MON or 22-2
      std::vector<int> seq;
      for (int v = lo; v <= f.max; ++v) seq.push_back(v);
      for (int v = f.min; v <= hi; ++v) seq.push_back(v);
      for (std::size_t k = 0; k < seq.size(); k += static_cast<std::size_t>(step))
        bits |= std::uint64_t{1} << seq[k];
    }
  }
  if (!any) bad(expr, f, text, "is empty");
  return bits;
}

bool looks_like_zone(const std::string& tok) {
  if (tok == "UTC" || tok == "GMT" || tok == "Z" || tok == "Etc/UTC") return true;
  if ((tok[0] == '+' || tok[0] == '-') && tok.size() >= 3) return true;
  const auto slash = tok.find('/');
  if (slash == std::string::npos || slash == 0) return false;
  const std::string head = upper(tok.substr(0, slash));
  for (char ch : head)
    if (!std::isalpha(static_cast<unsigned char>(ch))) return false;
  for (const char* d : kDays)
    if (head == d) return false;
  for (const char* m : kMonths)
    if (head == m) return false;
  return true;
}

// Sunday = 0, as cron counts (cctz::weekday starts at Monday).
int weekday_number(const cctz::civil_day& d) {
  switch (cctz::get_weekday(d)) {
    case cctz::weekday::sunday: return 0;
    case cctz::weekday::monday: return 1;
    case cctz::weekday::tuesday: return 2;
    case cctz::weekday::wednesday: return 3;
    case cctz::weekday::thursday: return 4;
    case cctz::weekday::friday: return 5;
    case cctz::weekday::saturday: return 6;
  }
  return 0;
}

bool is_utc_name(const std::string& n) {
  return n == "UTC" || n == "Etc/UTC" || n == "GMT" || n == "Etc/GMT" || n == "Z" || n == "Zulu" ||
         n == "Etc/Zulu" || n == "UCT" || n == "Etc/UCT" || n == "Universal";
}

// "+05:30", "-0800", "+05" -> seconds east of UTC.
bool fixed_offset(const std::string& s, int& out) {
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return false;
  std::string digits;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == ':' && i == 3) continue;
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    digits += s[i];
  }
  if (digits.size() != 2 && digits.size() != 4) return false;
  const int h = std::stoi(digits.substr(0, 2));
  const int m = digits.size() == 4 ? std::stoi(digits.substr(2)) : 0;
  if (h > 23 || m > 59) return false;
  out = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
  return true;
}

std::string zoneinfo_dir() {
  const char* d = std::getenv("TZDIR");  // cctz reads the same variable
  return d != nullptr && *d != '\0' ? d : "/usr/share/zoneinfo";
}

}  // namespace

cctz::time_zone time_zone_named(const std::string& name) {
  if (name.empty()) return cctz::local_time_zone();
  if (is_utc_name(name)) return cctz::utc_time_zone();
  int offset = 0;
  if (fixed_offset(name, offset)) return cctz::fixed_time_zone(cctz::seconds(offset));
  // cctz would also open absolute paths and climb out of the zoneinfo directory.
  if (name[0] == '/' || name.find("..") != std::string::npos)
    throw ConfigError(fmt::format("time zone '{}' is not a zone name", name));
  // cctz remembers every name it is asked for, found or not; schedules come from Redis, so only
  // names with a zone file behind them go that far.
  const std::string dir = zoneinfo_dir();
  if (::access((dir + "/" + name).c_str(), R_OK) != 0)
    throw ConfigError(
        fmt::format("unknown time zone '{}' (not found in {}; is tzdata installed?)", name, dir));
  cctz::time_zone tz;
  if (!cctz::load_time_zone(name, &tz))
    throw ConfigError(
        fmt::format("time zone '{}': {}/{} is not a valid zone file", name, dir, name));
  return tz;
}

CronExpr CronExpr::parse(const std::string& expr, const std::string& default_zone) {
  std::vector<std::string> tok;
  {
    std::stringstream ss(expr);
    std::string t;
    while (ss >> t) tok.push_back(t);
  }
  if (tok.empty()) throw ConfigError("cron expression is empty");
  CronExpr c;
  c.source_ = expr;
  std::string zone = default_zone;
  if (tok.size() >= 2 && looks_like_zone(tok.back())) {
    zone = tok.back();
    tok.pop_back();
  }
  if (tok.size() == 1 && tok[0][0] == '@') {
    const std::string a = tok[0];
    std::string std5;
    if (a == "@yearly" || a == "@annually")
      std5 = "0 0 1 1 *";
    else if (a == "@monthly")
      std5 = "0 0 1 * *";
    else if (a == "@weekly")
      std5 = "0 0 * * 0";
    else if (a == "@daily" || a == "@midnight")
      std5 = "0 0 * * *";
    else if (a == "@hourly")
      std5 = "0 * * * *";
    else
      throw ConfigError(fmt::format("cron expression '{}': unknown alias {}", expr, a));
    std::stringstream ss(std5);
    tok.clear();
    std::string t;
    while (ss >> t) tok.push_back(t);
  }
  if (tok.size() != 5 && tok.size() != 6)
    throw ConfigError(fmt::format(
        "cron expression '{}' has {} fields; expected 5 (min hour dom month dow), 6 (with "
        "seconds first) or an @alias, optionally followed by a time zone",
        expr, tok.size()));
  std::size_t i = 0;
  c.seconds_ = tok.size() == 6 ? parse_field(expr, kSecond, tok[i++], nullptr, nullptr, nullptr)
                               : std::uint64_t{1};
  c.minutes_ = parse_field(expr, kMinute, tok[i++], nullptr, nullptr, nullptr);
  c.hours_ =
      static_cast<std::uint32_t>(parse_field(expr, kHour, tok[i++], nullptr, nullptr, nullptr));
  c.dom_ = static_cast<std::uint32_t>(
      parse_field(expr, kDom, tok[i++], &c.dom_star_, &c.dom_last_, nullptr));
  c.months_ =
      static_cast<std::uint32_t>(parse_field(expr, kMonth, tok[i++], nullptr, nullptr, nullptr));
  std::uint64_t dow = parse_field(expr, kDow, tok[i++], &c.dow_star_, nullptr, &c.dow_nth_);
  if (dow & (std::uint64_t{1} << 7)) dow = (dow | 1) & ~(std::uint64_t{1} << 7);  // 7 = Sunday
  c.dow_ = static_cast<std::uint32_t>(dow);
  c.zone_ = time_zone_named(zone);
  if (!c.next_after(0)) throw ConfigError(fmt::format("cron expression '{}' never fires", expr));
  return c;
}

bool CronExpr::day_matches(const cctz::civil_day& day) const {
  const int d = day.day();
  const int dim = (cctz::civil_day(cctz::civil_month(day) + 1) - 1).day();
  const bool dom_ok = ((dom_ >> d) & 1) != 0 || (dom_last_ && d == dim);
  const int wd = weekday_number(day);
  bool dow_ok = ((dow_ >> wd) & 1) != 0;
  for (const auto& [w, n] : dow_nth_)
    if (w == wd && ((n > 0 && (d - 1) / 7 + 1 == n) || (n < 0 && d + 7 > dim))) dow_ok = true;
  // Vixie cron: a field starting with '*' makes the two combine with AND, otherwise OR.
  if (dom_star_ || dow_star_) return dom_ok && dow_ok;
  return dom_ok || dow_ok;
}

std::optional<cctz::civil_second> CronExpr::next_civil(const cctz::civil_second& after) const {
  // Each step moves to the start of the next month, day, hour or minute that could match;
  // cctz's civil types normalise (Dec + 1 is January of the next year).
  cctz::civil_second c = after + 1;
  const auto limit = c.year() + 30;
  for (;;) {
    if (c.year() > limit) return std::nullopt;
    if (((months_ >> c.month()) & 1) == 0)
      c = cctz::civil_second(cctz::civil_month(c) + 1);
    else if (!day_matches(cctz::civil_day(c)))
      c = cctz::civil_second(cctz::civil_day(c) + 1);
    else if (((hours_ >> c.hour()) & 1) == 0)
      c = cctz::civil_second(cctz::civil_hour(c) + 1);
    else if (((minutes_ >> c.minute()) & 1) == 0)
      c = cctz::civil_second(cctz::civil_minute(c) + 1);
    else if (((seconds_ >> c.second()) & 1) == 0)
      c += 1;
    else
      return c;
  }
}

std::optional<std::int64_t> CronExpr::next_after(std::int64_t after) const {
  using Instant = cctz::time_point<cctz::seconds>;
  // Start from the wall-clock time reached at `after`. Inside an hour repeated by a fall-back
  // change the first occurrence of a wall-clock time is already past, which is skipped below.
  cctz::civil_second cv = cctz::convert(Instant(cctz::seconds(after)), zone_);
  for (int guard = 0; guard < 100000; ++guard) {
    const auto c = next_civil(cv);
    if (!c) return std::nullopt;
    // cctz::convert maps a skipped wall-clock time to the transition instant and a repeated one
    // to its first occurrence: the DST behaviour documented in cron.hpp.
    const std::int64_t u = cctz::convert(*c, zone_).time_since_epoch().count();
    if (u > after) return u;
    cv = *c;
  }
  return std::nullopt;
}

std::int64_t parse_every_seconds(const std::string& text) {
  auto fail = [&]() -> std::int64_t {
    throw ConfigError(fmt::format(
        "'every' value '{}' is not a duration (examples: 30s, 15m, 1h30m, 2d, \"15 minutes\")",
        text));
  };
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto skip_ws = [&] {
    while (i < n && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  skip_ws();
  double total_ms = 0;
  bool any = false;
  while (i < n) {
    const std::size_t start = i;
    while (i < n && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return fail();
    double num = 0;
    try {
      num = std::stod(text.substr(start, i - start));
    } catch (const std::exception&) {
      return fail();
    }
    skip_ws();
    const std::size_t us = i;
    while (i < n && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string unit = text.substr(us, i - us);
    std::string lower = unit;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    double ms;
    if (unit.empty()) {
      // A bare number: seconds, as rufus reads it; only alone.
      if (any) return fail();
      ms = 1000;
    } else if (unit == "M" || lower == "month" || lower == "months") {
      ms = 30.0 * 86400 * 1000;
    } else if (lower == "y" || lower == "year" || lower == "years") {
      ms = 365.0 * 86400 * 1000;
    } else if (lower == "w" || lower == "week" || lower == "weeks") {
      ms = 7.0 * 86400 * 1000;
    } else if (lower == "d" || lower == "day" || lower == "days") {
      ms = 86400.0 * 1000;
    } else if (lower == "h" || lower == "hr" || lower == "hrs" || lower == "hour" ||
               lower == "hours") {
      ms = 3600.0 * 1000;
    } else if (lower == "m" || lower == "min" || lower == "mins" || lower == "minute" ||
               lower == "minutes") {
      ms = 60.0 * 1000;
    } else if (lower == "s" || lower == "sec" || lower == "secs" || lower == "second" ||
               lower == "seconds") {
      ms = 1000;
    } else if (lower == "ms") {
      ms = 1;
    } else {
      return fail();
    }
    total_ms += num * ms;
    any = true;
    skip_ws();
    if (unit.empty() && i < n) return fail();
  }
  if (!any) return fail();
  // Over a thousand years is no schedule, and past 2^63 the conversion below is undefined
  // (found by fuzzing: "1444444444444444444444").
  if (!(total_ms / 1000.0 <= 1000.0 * 366 * 86400))
    throw ConfigError(fmt::format("'every' value '{}' is longer than a thousand years", text));
  const auto secs = static_cast<std::int64_t>(std::ceil(total_ms / 1000.0 - 1e-9));
  if (secs < 1)
    throw ConfigError(fmt::format("'every' value '{}' is shorter than one second", text));
  return secs;
}

}  // namespace resque::detail
