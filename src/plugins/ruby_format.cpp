// Ruby's text for decoded JSON values (Array#join, #inspect), so lock keys built from job args
// match the keys Ruby's lock plugins build from the same args. Checked against Ruby 3.1 in
// tests/unit/plugins_unit_test.cpp (RubyFormat.*).
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "lock_style.hpp"
#include "resque/error.hpp"
#include "resque/plugins/lock_key_style.hpp"

namespace resque::plugins {

namespace {

// Float#to_s (= inspect): the shortest digits that read back as the same double, in fixed
// notation while the decimal exponent is in -4 < decpt <= 15 (`0.0001`, `100000000000000.0`),
// else `d.ddde+XX` with at least two exponent digits (`1.0e-05`, `1.0e+16`). Ruby's numeric.c
// flo_to_s; JSON has no NaN or Infinity.
std::string ruby_float(double d) {
  // fmt's "{}" is the shortest round-trip form ("1e+20", "0.0001", "123.5", "100").
  const std::string s = fmt::format("{}", std::fabs(d));
  std::string digits;
  int point = -1;  // digits before the '.' in the mantissa
  int exp10 = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] != 'e'; ++i) {
    if (s[i] == '.')
      point = static_cast<int>(digits.size());
    else
      digits += s[i];
  }
  if (i < s.size()) exp10 = std::stoi(s.substr(i + 1));
  if (point < 0) point = static_cast<int>(digits.size());
  // value = 0.<digits> * 10^decpt, with leading and trailing zeros dropped
  int decpt = point + exp10;
  std::size_t lead = 0;
  while (lead + 1 < digits.size() && digits[lead] == '0') ++lead;
  digits.erase(0, lead);
  decpt -= static_cast<int>(lead);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out = std::signbit(d) ? "-" : "";
  if (digits == "0") return out + "0.0";
  const int n = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 15) {
    if (decpt <= 0) return out + "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
    if (decpt >= n)
      return out + digits + std::string(static_cast<std::size_t>(decpt - n), '0') + ".0";
    return out + digits.substr(0, static_cast<std::size_t>(decpt)) + "." +
           digits.substr(static_cast<std::size_t>(decpt));
  }
  out += digits.substr(0, 1);
  out += '.';
  out += n > 1 ? digits.substr(1) : "0";
  const int e = decpt - 1;
  return out + fmt::format("e{}{:02d}", e < 0 ? '-' : '+', e < 0 ? -e : e);
}

// Decodes one UTF-8 sequence at s[i] (JSON strings are valid UTF-8); returns its length.
std::size_t utf8_at(const std::string& s, std::size_t i, std::uint32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (i + len > s.size()) len = 1;
  cp = len == 1 ? c : c & (0x7Fu >> len);
  for (std::size_t k = 1; k < len; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
  return len;
}

// String#inspect of a UTF-8 string (Ruby's rb_str_inspect).
std::string ruby_string_inspect(const std::string& s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8_at(s, i, cp);
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      case '\b': out += "\\b"; break;
      case '\a': out += "\\a"; break;
      case 0x1B: out += "\\e"; break;
      case '#': {
        // "#{", "#$", "#@" would interpolate in a Ruby literal: Ruby escapes the '#'.
        const char next = i + 1 < s.size() ? s[i + 1] : '\0';
        out += (next == '{' || next == '$' || next == '@') ? "\\#" : "#";
        break;
      }
      default:
        if (cp < 0x20 || cp == 0x7F || cp == 0x2028 || cp == 0x2029)
          out += fmt::format("\\u{:04X}", cp);
        else
          out.append(s, i, len);
    }
    i += len;
  }
  return out + "\"";
}

void join_into(std::string& out, const Json& args, std::string_view sep, bool& first) {
  for (const auto& v : args) {
    if (!first) out += sep;
    first = false;
    if (v.is_array()) {
      // Ruby joins a nested array with the same separator, in place (`[1, [], [2]]` ->
      // "1--2": an empty one still counts as an element).
      bool inner_first = true;
      join_into(out, v, sep, inner_first);
    } else if (v.is_string())
      out += v.get_ref<const std::string&>();
    else if (!v.is_null())  // nil.to_s is ""
      out += ruby_inspect(v);
  }
}

}  // namespace

std::string ruby_inspect(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "nil";
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer: return std::to_string(v.get<std::int64_t>());
    case Json::value_t::number_unsigned: return std::to_string(v.get<std::uint64_t>());
    case Json::value_t::number_float: return ruby_float(v.get<double>());
    case Json::value_t::string: return ruby_string_inspect(v.get_ref<const std::string&>());
    case Json::value_t::array: {
      std::string out = "[";
      for (std::size_t k = 0; k < v.size(); ++k) {
        if (k) out += ", ";
        out += ruby_inspect(v[k]);
      }
      return out + "]";
    }
    case Json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, item] : v.items()) {
        if (!first) out += ", ";
        first = false;
        out += ruby_string_inspect(k) + "=>" + ruby_inspect(item);
      }
      return out + "}";
    }
    default: return v.dump();  // binary/discarded: never produced by the JSON decoder
  }
}

std::string ruby_join(const Json& args, std::string_view sep) {
  std::string out;
  bool first = true;
  if (args.is_array())
    join_into(out, args, sep, first);
  else
    join_into(out, Json::array({args}), sep, first);
  return out;
}

}  // namespace resque::plugins

// ---- what QueueLock and JobLock share about key styles (src/plugins/lock_style.hpp) ----
namespace resque::plugins::detail {

void check_lock_timeout(const char* who, LockKeyStyle style, std::chrono::seconds timeout) {
  if (timeout.count() > 0) return;
  if (timeout.count() == 0 && style == LockKeyStyle::ResqueLockTimeout) return;
  throw ConfigError(fmt::format(
      "{}: lock_timeout must be positive, got {} s (0, Ruby's no-timeout lock, only with "
      "LockKeyStyle::ResqueLockTimeout)",
      who, timeout.count()));
}

std::string lock_timeout_run_key(const Keys& keys, const Job& job,
                                 const std::function<std::string(const Job&)>& key) {
  // lock_timeout.rb: ['lock', name, identifier(*args)].compact.join(':'), identifier
  // defaulting to args.join('-'); `name` is the class name, which is Job::klass.
  return keys.key("lock:" + job.klass + ":" + (key ? key(job) : ruby_join(job.args, "-")));
}

LockOptions style_lock_options(LockKeyStyle style, std::chrono::seconds timeout) {
  LockOptions o;
  o.ttl = timeout;
  switch (style) {
    case LockKeyStyle::Node:
      o.value = LockValue::ExpiryStamp;  // node's value, so node clients read and honour it
      break;
    case LockKeyStyle::ResqueLockTimeout:
      o.value = timeout.count() == 0 ? LockValue::RubyTrue : LockValue::RubyLockTimeoutStamp;
      o.take_over_stale = timeout.count() != 0;  // acquire_lock_algorithm!'s GETSET rule
      break;
    case LockKeyStyle::ResqueLock:
      o.value = LockValue::RubyLockStamp;
      o.take_over_stale = true;  // before_enqueue_lock's GETSET rule
      break;
  }
  return o;
}

}  // namespace resque::plugins::detail
