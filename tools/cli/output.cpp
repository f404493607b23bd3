#include "output.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace resque::cli {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

std::size_t width(std::string_view s) {
  std::size_t w = 0;
  for (char ch : s)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++w;
  return w;
}

}  // namespace

std::string safe_text(std::string_view text, std::size_t max) {
  std::string out;
  std::size_t points = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (max != 0 && points == max) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
    } else if (const std::size_t n = c >= 0x80 ? utf8_len(text, i) : 0; n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
      ++i;
    }
    ++points;
  }
  return out;
}

std::string brief_json(const Json& value, std::size_t max) {
  return safe_text(value.dump(-1, ' ', false, Json::error_handler_t::replace), max);
}

void Table::print(std::ostream& out) const {
  std::vector<std::vector<std::string>> cells;
  cells.push_back(headers);
  for (const auto& r : rows) {
    std::vector<std::string> row;
    for (const auto& c : r) row.push_back(safe_text(c));
    cells.push_back(std::move(row));
  }
  std::vector<std::size_t> w(headers.size(), 0);
  for (const auto& r : cells)
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], width(r[i]));
  for (const auto& r : cells) {
    std::string line;
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - width(r[i]) + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string utc_time(std::int64_t epoch) {
  const auto t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string duration(std::int64_t s) {
  if (s < 0) s = -s;
  char buf[40];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm %02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  else if (s < 86400)
    std::snprintf(buf, sizeof buf, "%lldh %02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  else
    std::snprintf(buf, sizeof buf, "%lldd %02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  return buf;
}

std::string time_and_age(std::int64_t epoch, std::int64_t now) {
  if (epoch <= now) return utc_time(epoch) + " (" + duration(now - epoch) + " ago)";
  return utc_time(epoch) + " (in " + duration(epoch - now) + ")";
}

namespace {

std::int64_t days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

// "+HH:MM", "+HHMM", "Z", "UTC", "GMT+0100", "" (UTC) -> seconds east; false if unreadable.
bool zone_offset(std::string_view z, long long& off) {
  off = 0;
  while (!z.empty() && z.front() == ' ') z.remove_prefix(1);
  if (auto paren = z.find(" ("); paren != std::string_view::npos) z = z.substr(0, paren);
  while (!z.empty() && z.back() == ' ') z.remove_suffix(1);
  if (z.empty() || z == "Z" || z == "UTC" || z == "GMT") return true;
  if (z.rfind("GMT", 0) == 0 || z.rfind("UTC", 0) == 0) z.remove_prefix(3);
  if (z.empty() || (z[0] != '+' && z[0] != '-')) return false;
  const int sign = z[0] == '-' ? -1 : 1;
  std::string digits;
  for (char ch : z.substr(1))
    if (std::isdigit(static_cast<unsigned char>(ch))) digits += ch;
  if (digits.size() != 4 && digits.size() != 2) return false;
  const long long h = std::stoll(digits.substr(0, 2));
  const long long m = digits.size() == 4 ? std::stoll(digits.substr(2)) : 0;
  off = sign * (h * 3600 + m * 60);
  return true;
}

std::optional<std::int64_t> civil(int y, int mo, int d, int h, int mi, int s, long long off) {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + s - off;
}

}  // namespace

std::optional<std::int64_t> parse_time(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  if (text.empty() || text.size() > 100) return std::nullopt;
  const std::string s(text);
  if (s.find_first_not_of("0123456789") == std::string::npos)
    return s.size() <= 12 ? std::optional<std::int64_t>(std::stoll(s)) : std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  long long off = 0;
  char sep1 = 0, sep2 = 0, t = 0;
  // 2026-11-28T06:46:50.123Z, 2026-11-28 06:46:50 +0000, 2026/11/28 06:46:46 UTC
  if (std::sscanf(s.c_str(), "%4d%c%2d%c%2d%c%2d:%2d:%2d%n", &y, &sep1, &mo, &sep2, &d, &t, &h, &mi,
                  &sec, &n) == 9 &&
      sep1 == sep2 && (sep1 == '-' || sep1 == '/') && (t == 'T' || t == ' ')) {
    std::size_t i = static_cast<std::size_t>(n);
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    if (!zone_offset(std::string_view(s).substr(i), off)) return std::nullopt;
    return civil(y, mo, d, h, mi, sec, off);
  }
  // Sat Nov 28 2026 06:42:59 GMT+0000 (Coordinated Universal Time)
  char wd[4] = {}, mon[4] = {};
  if (std::sscanf(s.c_str(), "%3s %3s %2d %4d %2d:%2d:%2d%n", wd, mon, &d, &y, &h, &mi, &sec, &n) ==
      7) {
    static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int m = 0; m < 12; ++m)
      if (std::string_view(mon) == kMonths[m]) mo = m + 1;
    if (mo == 0 || !zone_offset(std::string_view(s).substr(static_cast<std::size_t>(n)), off))
      return std::nullopt;
    return civil(y, mo, d, h, mi, sec, off);
  }
  return std::nullopt;
}

std::optional<std::int64_t> json_time(const Json& value, bool millis) {
  if (value.is_string()) return parse_time(value.get<std::string>());
  if (value.is_number()) {
    const double v = value.get<double>();
    if (!(v > -1e15 && v < 1e15)) return std::nullopt;
    return static_cast<std::int64_t>(millis ? v / 1000 : v);
  }
  return std::nullopt;
}

void print_json(std::ostream& out, const Json& value) {
  out << value.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
}

}  // namespace resque::cli
