#include "resque/keys.hpp"

#include "redis/commands.hpp"
#include "redis/sha1.hpp"

namespace resque {

Keys::Keys(std::string ns) : ns_(std::move(ns)), prefix_(ns_.empty() ? "" : ns_ + ":") {}

std::string Keys::key(std::string_view name) const {
  std::string k;
  k.reserve(prefix_.size() + name.size());
  k.append(prefix_);
  k.append(name);
  return k;
}

std::string Keys::recovered(std::string_view payload) const {
  return key(cat("resque-cpp:recovered:", detail::sha1_hex(payload)));
}

std::string Keys::pattern(std::string_view glob) const {
  std::string p = detail::glob_escape(prefix_);
  p.append(glob);
  return p;
}

std::string_view Keys::strip(std::string_view full_key) const {
  if (full_key.substr(0, prefix_.size()) == prefix_) full_key.remove_prefix(prefix_.size());
  return full_key;
}

namespace {

// Length of the UTF-8 whitespace character at s[i] as JavaScript's /\s/ defines it (Unicode
// White_Space plus U+FEFF), or 0.
std::size_t js_space_at(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  const unsigned c = b(0);
  if (c == ' ' || (c >= 0x09 && c <= 0x0d)) return 1;
  if (c == 0xc2 && b(1) == 0xa0) return 2;                  // U+00A0
  if (c == 0xe1 && b(1) == 0x9a && b(2) == 0x80) return 3;  // U+1680
  if (c == 0xe2 && b(1) == 0x80) {
    const unsigned d = b(2);
    if ((d >= 0x80 && d <= 0x8a) || d == 0xa8 || d == 0xa9 || d == 0xaf) return 3;  // U+2000..
  }
  if (c == 0xe2 && b(1) == 0x81 && b(2) == 0x9f) return 3;  // U+205F
  if (c == 0xe3 && b(1) == 0x80 && b(2) == 0x80) return 3;  // U+3000
  if (c == 0xef && b(1) == 0xbb && b(2) == 0xbf) return 3;  // U+FEFF
  return 0;
}

// node-resque's `.replace(/\s/, "")`: only the first whitespace character goes.
std::string remove_first_js_space(std::string s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (const std::size_t n = js_space_at(s, i)) {
      s.erase(i, n);
      break;
    }
  }
  return s;
}

// True when `s` is empty after JavaScript's trim(): node's connection.key() drops such parts.
bool js_blank(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = js_space_at(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

std::string Keys::retry_counter(std::string_view klass, std::string_view args_key) const {
  // node builds it with connection.key("resque-retry", class, argsKey), which leaves out blank
  // parts: no args gives "resque-retry:<class>" without a trailing ':'.
  std::string name = "resque-retry";
  for (std::string_view part : {klass, args_key}) {
    if (js_blank(part)) continue;
    name += ':';
    name.append(part);
  }
  return remove_first_js_space(key(name));
}

std::string Keys::retry_failure(std::string_view klass, std::string_view args_key) const {
  return remove_first_js_space(key(cat(cat(cat("failure-resque-retry:", klass), ":"), args_key)));
}

}  // namespace resque
