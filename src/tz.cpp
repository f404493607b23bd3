#include "tz.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "resque/error.hpp"

namespace resque::detail {

// ---- civil calendar (proleptic Gregorian; H. Hinnant's algorithms) -------------------------

std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy =
      (153 * static_cast<unsigned>(m > 2 ? m - 3 : m + 9) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilTime civil_from_seconds(CivilSeconds c) {
  std::int64_t days = c >= 0 ? c / 86400 : -((-c + 86399) / 86400);
  std::int64_t rem = c - days * 86400;
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400) + (m <= 2);
  CivilTime t{};
  t.year = y;
  t.month = static_cast<int>(m);
  t.day = static_cast<int>(d);
  t.hour = static_cast<int>(rem / 3600);
  t.minute = static_cast<int>(rem % 3600 / 60);
  t.second = static_cast<int>(rem % 60);
  return t;
}

CivilSeconds seconds_from_civil(const CivilTime& t) {
  return days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return d[m - 1];
}

int weekday_from_days(std::int64_t days) {
  return static_cast<int>(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
}

// ---- POSIX TZ strings ---------------------------------------------------------------------

namespace {

bool parse_name(const std::string& s, std::size_t& i) {
  const std::size_t start = i;
  if (i < s.size() && s[i] == '<') {
    const auto close = s.find('>', i);
    if (close == std::string::npos) return false;
    i = close + 1;
    return close - start >= 2;
  }
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  return i - start >= 3;
}

// [+-]hh[:mm[:ss]] -> seconds (sign as written).
bool parse_hms(const std::string& s, std::size_t& i, int& out, int max_hours) {
  int sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    sign = s[i] == '-' ? -1 : 1;
    ++i;
  }
  int parts[3] = {0, 0, 0};
  for (int p = 0; p < 3; ++p) {
    if (p > 0) {
      if (i >= s.size() || s[i] != ':') break;
      ++i;
    }
    const std::size_t start = i;
    int v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 3)
      v = v * 10 + (s[i++] - '0');
    if (i == start) return false;
    parts[p] = v;
  }
  if (parts[0] > max_hours || parts[1] > 59 || parts[2] > 59) return false;
  out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool parse_int(const std::string& s, std::size_t& i, int& out) {
  const std::size_t start = i;
  int v = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 4)
    v = v * 10 + (s[i++] - '0');
  out = v;
  return i > start;
}

bool parse_rule_date(const std::string& s, std::size_t& i, PosixTz::Date& d) {
  if (i < s.size() && s[i] == 'J') {
    ++i;
    d.kind = 'J';
    if (!parse_int(s, i, d.a) || d.a < 1 || d.a > 365) return false;
  } else if (i < s.size() && s[i] == 'M') {
    ++i;
    d.kind = 'M';
    if (!parse_int(s, i, d.a) || d.a < 1 || d.a > 12) return false;
    if (i >= s.size() || s[i++] != '.') return false;
    if (!parse_int(s, i, d.b) || d.b < 1 || d.b > 5) return false;
    if (i >= s.size() || s[i++] != '.') return false;
    if (!parse_int(s, i, d.c) || d.c > 6) return false;
  } else {
    d.kind = 'D';
    if (!parse_int(s, i, d.a) || d.a > 365) return false;
  }
  d.time = 7200;
  if (i < s.size() && s[i] == '/') {
    ++i;
    if (!parse_hms(s, i, d.time, 167)) return false;
  }
  return true;
}

// Local midnight (civil seconds) of a rule date in year y.
CivilSeconds rule_day(const PosixTz::Date& d, int y) {
  const std::int64_t jan1 = days_from_civil(y, 1, 1);
  const bool leap = days_in_month(y, 2) == 29;
  std::int64_t days = 0;
  if (d.kind == 'J') {
    days = jan1 + d.a - 1 + (leap && d.a >= 60 ? 1 : 0);
  } else if (d.kind == 'D') {
    days = jan1 + d.a;
  } else {
    const std::int64_t first = days_from_civil(y, d.a, 1);
    int day = 1 + (d.c - weekday_from_days(first) + 7) % 7 + (d.b - 1) * 7;
    while (day > days_in_month(y, d.a)) day -= 7;
    days = first + day - 1;
  }
  return days * 86400;
}

}  // namespace

bool PosixTz::parse(const std::string& s, PosixTz& out) {
  PosixTz tz;
  std::size_t i = 0;
  if (!parse_name(s, i)) return false;
  int off = 0;
  if (!parse_hms(s, i, off, 24)) return false;
  tz.std_offset = -off;  // POSIX offsets count west of Greenwich
  if (i < s.size()) {
    if (!parse_name(s, i)) return false;
    tz.has_dst = true;
    tz.dst_offset = tz.std_offset + 3600;
    if (i < s.size() && s[i] != ',') {
      if (!parse_hms(s, i, off, 24)) return false;
      tz.dst_offset = -off;
    }
    if (i < s.size()) {
      if (s[i++] != ',') return false;
      if (!parse_rule_date(s, i, tz.start)) return false;
      if (i >= s.size() || s[i++] != ',') return false;
      if (!parse_rule_date(s, i, tz.end)) return false;
    } else {
      // POSIX leaves the default rule to the implementation; glibc uses the US rule.
      tz.start = Date{'M', 3, 2, 0, 7200};
      tz.end = Date{'M', 11, 1, 0, 7200};
    }
  }
  if (i != s.size()) return false;
  out = tz;
  return true;
}

int PosixTz::offset_at(std::int64_t utc) const {
  if (!has_dst) return std_offset;
  const int y = civil_from_seconds(utc + std_offset).year;
  const std::int64_t start_utc = rule_day(start, y) + start.time - std_offset;
  const std::int64_t end_utc = rule_day(end, y) + end.time - dst_offset;
  bool dst;
  if (start_utc < end_utc)
    dst = utc >= start_utc && utc < end_utc;
  else  // southern hemisphere: DST spans the new year
    dst = !(utc >= end_utc && utc < start_utc);
  return dst ? dst_offset : std_offset;
}

// ---- TimeZone ---------------------------------------------------------------------------

int TimeZone::offset_at(std::int64_t utc) const {
  if (transitions_.empty()) return has_footer_ ? footer_.offset_at(utc) : initial_offset_;
  if (utc < transitions_.front()) return initial_offset_;
  if (utc >= transitions_.back() && has_footer_) return footer_.offset_at(utc);
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  return transition_offsets_[static_cast<std::size_t>(it - transitions_.begin()) - 1];
}

std::int64_t TimeZone::from_civil(CivilSeconds c) const {
  // Transitions are months apart, so at most one lies within a day of `c`: the offsets a day
  // before and a day after are the only candidates.
  const int a = offset_at(c - 86400);
  const int b = offset_at(c + 86400);
  std::int64_t best = 0;
  bool found = false;
  for (int off : {a, b}) {
    const std::int64_t u = c - off;
    if (offset_at(u) == off && (!found || u < best)) {
      best = u;
      found = true;
    }
  }
  if (found) return best;
  // A gap: find the transition, the first instant whose wall-clock time is past `c`.
  std::int64_t lo = std::min(c - a, c - b), hi = std::max(c - a, c - b);
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (to_civil(mid) > c)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

namespace {

std::uint64_t be(const std::string& b, std::size_t pos, int n) {
  std::uint64_t v = 0;
  for (int k = 0; k < n; ++k) v = (v << 8) | static_cast<unsigned char>(b[pos + k]);
  return v;
}

[[noreturn]] void bad_tzif(const std::string& name, const char* why) {
  throw ConfigError(fmt::format("time zone '{}': malformed TZif data ({})", name, why));
}

std::string zoneinfo_dir() {
  const char* d = std::getenv("TZDIR");
  return d != nullptr && *d != '\0' ? d : "/usr/share/zoneinfo";
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

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

bool is_utc_name(const std::string& n) {
  return n == "UTC" || n == "Etc/UTC" || n == "GMT" || n == "Etc/GMT" || n == "Z" || n == "Zulu" ||
         n == "Etc/Zulu" || n == "UCT" || n == "Etc/UCT" || n == "Universal";
}

std::shared_ptr<const TimeZone> load(const std::string& name) {
  if (is_utc_name(name)) return TimeZone::fixed(name, 0);
  int off = 0;
  if (fixed_offset(name, off)) return TimeZone::fixed(name, off);
  if (name.empty()) {
    // The process's local zone, as rufus-scheduler and cron read it.
    const char* tz = std::getenv("TZ");
    if (tz != nullptr) {
      std::string v = tz;
      if (!v.empty() && v[0] == ':') v.erase(0, 1);
      if (v.empty() || is_utc_name(v)) return TimeZone::fixed("UTC", 0);
      std::string bytes;
      const std::string path = v[0] == '/' ? v : zoneinfo_dir() + "/" + v;
      if (v.find("..") == std::string::npos && read_file(path, bytes))
        return TimeZone::from_tzif(v, bytes);
      PosixTz p;
      if (PosixTz::parse(v, p)) {
        auto z = TimeZone::from_tzif(v, "");
        return z;
      }
      return TimeZone::fixed("UTC", 0);  // glibc also falls back to UTC for junk
    }
    std::string bytes;
    if (read_file("/etc/localtime", bytes)) return TimeZone::from_tzif("localtime", bytes);
    return TimeZone::fixed("UTC", 0);
  }
  if (name[0] == '/' || name.find("..") != std::string::npos)
    throw ConfigError(fmt::format("time zone '{}' is not a zone name", name));
  std::string bytes;
  if (!read_file(zoneinfo_dir() + "/" + name, bytes))
    throw ConfigError(fmt::format("unknown time zone '{}' (not found in {}; is tzdata installed?)",
                                  name, zoneinfo_dir()));
  return TimeZone::from_tzif(name, bytes);
}

}  // namespace

std::shared_ptr<const TimeZone> TimeZone::fixed(const std::string& name, int offset) {
  auto z = std::make_shared<TimeZone>();
  z->name_ = name;
  z->initial_offset_ = offset;
  return z;
}

std::shared_ptr<const TimeZone> TimeZone::utc() {
  static const auto z = fixed("UTC", 0);
  return z;
}

std::shared_ptr<const TimeZone> TimeZone::from_tzif(const std::string& name, const std::string& b) {
  auto z = std::make_shared<TimeZone>();
  z->name_ = name;
  if (b.empty()) {
    // A bare POSIX TZ string given as the zone (TZ="EST5EDT,M3.2.0,M11.1.0").
    if (!PosixTz::parse(name, z->footer_)) bad_tzif(name, "not a TZ string");
    z->has_footer_ = true;
    return z;
  }
  if (b.size() < 44 || b.compare(0, 4, "TZif") != 0) bad_tzif(name, "no TZif header");
  const char version = b[4];
  auto counts = [&](std::size_t pos, std::uint64_t c[6]) {
    if (b.size() < pos + 44) bad_tzif(name, "truncated header");
    for (int k = 0; k < 6; ++k) c[k] = be(b, pos + 20 + 4 * static_cast<std::size_t>(k), 4);
  };
  // counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  std::uint64_t c[6];
  counts(0, c);
  std::size_t pos = 44;
  int tsize = 4;
  if (version >= '2') {
    // Skip the 32-bit block; the 64-bit one after it is complete.
    pos += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    counts(pos, c);
    pos += 44;
    tsize = 8;
  }
  const std::uint64_t timecnt = c[3], typecnt = c[4], charcnt = c[5];
  const std::size_t need = timecnt * static_cast<std::uint64_t>(tsize) + timecnt + typecnt * 6 +
                           charcnt + c[2] * static_cast<std::uint64_t>(tsize + 4) + c[1] + c[0];
  if (typecnt == 0 || b.size() < pos + need) bad_tzif(name, "truncated data");
  std::vector<std::int64_t> times(timecnt);
  for (std::size_t k = 0; k < timecnt; ++k) {
    const std::uint64_t v = be(b, pos + k * static_cast<std::size_t>(tsize), tsize);
    times[k] = tsize == 8 ? static_cast<std::int64_t>(v)
                          : static_cast<std::int64_t>(static_cast<std::int32_t>(v));
  }
  pos += timecnt * static_cast<std::size_t>(tsize);
  std::vector<int> idx(timecnt);
  for (std::size_t k = 0; k < timecnt; ++k) {
    idx[k] = static_cast<unsigned char>(b[pos + k]);
    if (static_cast<std::uint64_t>(idx[k]) >= typecnt) bad_tzif(name, "bad type index");
  }
  pos += timecnt;
  std::vector<int> offsets(typecnt);
  for (std::size_t k = 0; k < typecnt; ++k)
    offsets[k] = static_cast<std::int32_t>(static_cast<std::uint32_t>(be(b, pos + k * 6, 4)));
  pos += need - timecnt * static_cast<std::size_t>(tsize) - timecnt;
  z->initial_offset_ = offsets[0];
  for (std::size_t k = 0; k < timecnt; ++k) {
    if (!z->transitions_.empty() && times[k] <= z->transitions_.back())
      bad_tzif(name, "transitions out of order");
    z->transitions_.push_back(times[k]);
    z->transition_offsets_.push_back(offsets[static_cast<std::size_t>(idx[k])]);
  }
  if (version >= '2' && pos < b.size() && b[pos] == '\n') {
    const auto end = b.find('\n', pos + 1);
    if (end != std::string::npos && end > pos + 1)
      z->has_footer_ = PosixTz::parse(b.substr(pos + 1, end - pos - 1), z->footer_);
  }
  return z;
}

std::shared_ptr<const TimeZone> TimeZone::get(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(name);
    if (it != cache.end()) return it->second;
  }
  auto z = load(name);  // file I/O outside the lock
  std::lock_guard<std::mutex> lock(mu);
  return cache.emplace(name, std::move(z)).first->second;
}

}  // namespace resque::detail
