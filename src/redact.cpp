// Redaction of credentials in URLs and messages: no password in any error, log line or what()
// (issue 12). The URL parser's errors and every message built from a URL go through here.
#include <string>
#include <string_view>

#include "resque/options.hpp"

namespace resque {

namespace {
void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

bool secret_key(std::string_view key) {
  for (std::string_view word : {"password", "pass", "secret", "token"})
    if (key.find(word) != std::string_view::npos) return true;
  return false;
}
}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  const auto scheme = out.find("://");
  const std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  // The user-info ends at the last '@' (a password may hold '@', '/', '?' or ':').
  const auto at = out.rfind('@');
  if (at != std::string::npos && at >= start) {
    const std::string cred = out.substr(start, at - start);
    const auto colon = cred.find(':');
    const std::string kept = colon == std::string::npos ? "***" : cred.substr(0, colon) + ":***";
    out = out.substr(0, start) + kept + out.substr(at);
  }
  // Query values of secret-looking keys (sentinel_password=...).
  const auto q = out.find('?', at == std::string::npos || at < start ? start : at);
  if (q == std::string::npos) return out;
  // An item without '=' right after a secret one is taken as the rest of that secret (a raw
  // '&' inside a password).
  std::size_t i = q + 1;
  bool in_secret = false;
  while (i < out.size()) {
    auto amp = out.find('&', i);
    if (amp == std::string::npos) amp = out.size();
    const auto eq = out.find('=', i);
    std::size_t value = std::string::npos;
    if (eq != std::string::npos && eq < amp) {
      in_secret = secret_key(out.substr(i, eq - i));
      if (in_secret) value = eq + 1;
    } else if (in_secret) {
      value = i;
    }
    if (value != std::string::npos && value < amp) {
      out.replace(value, amp - value, "***");
      amp = value + 3;
    }
    i = amp + 1;
  }
  return out;
}

std::string redact(std::string message, const ConnectionOptions& options) {
  // Short values would blank out ordinary words; a 1-2 byte password is no secret anyway.
  for (const std::string* pw : {&options.password, &options.sentinel_password})
    if (pw->size() >= 3) replace_all(message, *pw, "***");
  return message;
}

}  // namespace resque
