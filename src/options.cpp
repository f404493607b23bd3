#include "resque/options.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>

#include "resque/error.hpp"

namespace resque {

std::string ConnectionOptions::describe() const {
  if (!sentinels.empty()) {
    std::string out = "master '" + sentinel_master + "' via sentinel ";
    for (std::size_t i = 0; i < sentinels.size(); ++i) out += (i ? "," : "") + sentinels[i];
    return out;
  }
  if (cluster) {
    std::string out = "cluster via ";
    if (cluster_nodes.empty()) return out + fmt::format("{}:{}", host, port);
    for (std::size_t i = 0; i < cluster_nodes.size(); ++i) out += (i ? "," : "") + cluster_nodes[i];
    return out;
  }
  if (!unix_socket.empty()) return "unix:" + unix_socket;
  return fmt::format("{}:{}", host, port);
}

namespace {

// True when `why` quotes ('...') a piece of the URL's credentials: its password, or a query
// value that redact_url() hides (compared on the redacted and the raw URL: a piece of the raw
// URL that the redacted one lacks is secret).
bool quotes_secret(const std::string& url, const std::string& why) {
  const std::string shown = redact_url(url);
  if (shown == url) return false;
  for (std::size_t open = why.find('\''); open != std::string::npos;) {
    const auto close = why.find('\'', open + 1);
    if (close == std::string::npos) break;
    const std::string piece = why.substr(open + 1, close - open - 1);
    if (!piece.empty() && url.find(piece) != std::string::npos &&
        shown.find(piece) == std::string::npos)
      return true;
    open = why.find('\'', close + 1);
  }
  return false;
}

[[noreturn]] void bad_url(const std::string& url, const std::string& why) {
  // The URL is shown redacted, and so is a reason that quotes a piece of a malformed password
  // (a '/' in one moves the rest into the "port").
  if (quotes_secret(url, why))
    throw ConfigError(fmt::format(
        "invalid Redis URL '{}' (reason not shown: it would quote the password; write '/', '@', "
        "':', '&' and '%' in a password as %2F, %40, %3A, %26 and %25)",
        redact_url(url)));
  throw ConfigError(fmt::format("invalid Redis URL '{}': {}", redact_url(url), why));
}

std::string percent_decode(const std::string& url, const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
      bad_url(url, "bad percent-escape in credentials");
    out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

int parse_int(const std::string& url, const std::string& s, const char* what, int lo, int hi) {
  if (s.empty() || s.size() > 9) bad_url(url, fmt::format("{} '{}' is not a number", what, s));
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      bad_url(url, fmt::format("{} '{}' is not a number", what, s));
  int v = std::stoi(s);
  if (v < lo || v > hi) bad_url(url, fmt::format("{} {} is out of range {}..{}", what, v, lo, hi));
  return v;
}

// rediss:// query parameters: the TLS settings a URL alone must be able to carry (a REDIS_URL
// is often the only configuration a deployment passes).
void apply_query(const std::string& url, const std::string& query, ConnectionOptions& o) {
  std::size_t at = 0;
  while (at <= query.size()) {
    auto amp = query.find('&', at);
    std::string item = query.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    at = amp == std::string::npos ? query.size() + 1 : amp + 1;
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos) bad_url(url, fmt::format("query item '{}' has no '='", item));
    const std::string key = item.substr(0, eq);
    const std::string value = percent_decode(url, item.substr(eq + 1));
    if (key == "db") {
      o.db = parse_int(url, value, "database", 0, 1 << 20);
      continue;
    }
    if (key == "dialect") {  // every scheme: the deployment's one setting may live in REDIS_URL
      if (value != "ruby" && value != "node")
        bad_url(url, fmt::format("dialect must be ruby or node, not '{}'", value));
      o.dialect = value == "ruby" ? Dialect::ruby : Dialect::node;
      continue;
    }
    if (!o.sentinels.empty() && (key == "sentinel_username" || key == "sentinel_password")) {
      (key == "sentinel_username" ? o.sentinel_username : o.sentinel_password) = value;
      continue;
    }
    if (!o.tls)
      bad_url(url, fmt::format("query parameter '{}' needs rediss:// (only db=N otherwise)", key));
    if (key == "tls_ca_file")
      o.tls_ca_file = value;
    else if (key == "tls_ca_dir")
      o.tls_ca_dir = value;
    else if (key == "tls_cert_file")
      o.tls_cert_file = value;
    else if (key == "tls_key_file")
      o.tls_key_file = value;
    else if (key == "tls_server_name")
      o.tls_server_name = value;
    else if (key == "tls_insecure_skip_verify") {
      if (value != "true" && value != "false")
        bad_url(url, "tls_insecure_skip_verify must be true or false");
      o.tls_insecure_skip_verify = value == "true";
    } else {
      bad_url(url, fmt::format("unknown query parameter '{}'", key));
    }
  }
}

// "host:port[,host:port...]" (IPv6 hosts in brackets) as "host:port" items.
std::vector<std::string> host_list(const std::string& url, const std::string& rest,
                                   const std::string& default_port, const char* what) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= rest.size()) {
    auto comma = rest.find(',', at);
    std::string one = rest.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? rest.size() + 1 : comma + 1;
    std::string host = one, port = default_port;
    if (!one.empty() && one[0] == '[') {
      auto close = one.find(']');
      if (close == std::string::npos) bad_url(url, "unterminated IPv6 address");
      host = one.substr(1, close - 1);
      if (close + 1 < one.size()) {
        if (one[close + 1] != ':') bad_url(url, "expected ':' after the IPv6 address");
        port = one.substr(close + 2);
      }
      host = "[" + host + "]";
    } else if (auto colon = one.find(':'); colon != std::string::npos) {
      host = one.substr(0, colon);
      port = one.substr(colon + 1);
    }
    if (host.empty() || host == "[]") bad_url(url, fmt::format("missing {} host", what));
    out.push_back(host + ":" + std::to_string(parse_int(url, port, "port", 1, 65535)));
  }
  return out;
}

// host and port from a "host:port" item of host_list().
void set_first(ConnectionOptions& o, const std::string& item) {
  const auto colon = item.rfind(':');
  o.host = item.substr(0, colon);
  if (o.host.size() >= 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
  o.port = std::atoi(item.c_str() + colon + 1);
}

}  // namespace

ConnectionOptions parse_redis_url(const std::string& url) {
  ConnectionOptions o;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    bad_url(url, "expected redis://, rediss:// or unix:// at the start");
  std::string scheme = url.substr(0, scheme_end);
  std::string rest = url.substr(scheme_end + 3);

  if (scheme == "unix") {
    std::string query;
    if (auto q = rest.find('?'); q != std::string::npos) {
      query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    if (rest.empty() || rest[0] != '/') bad_url(url, "unix:// needs an absolute socket path");
    o.unix_socket = rest;
    apply_query(url, query, o);  // db=N and dialect= (no TLS over a socket)
    return o;
  }
  const bool sentinel = scheme == "redis+sentinel" || scheme == "rediss+sentinel";
  const bool cluster = scheme == "redis+cluster" || scheme == "rediss+cluster";
  if (scheme == "rediss" || scheme == "rediss+sentinel" || scheme == "rediss+cluster") {
    o.tls = true;
  } else if (!sentinel && !cluster && scheme != "redis") {
    bad_url(url, fmt::format("unknown scheme '{}' (use redis://, rediss://, unix://, "
                             "redis+sentinel:// or redis+cluster://)",
                             scheme));
  }

  std::string query;
  const auto cred_end = rest.rfind('@');  // a password may hold a '?'
  if (auto q = rest.find('?', cred_end == std::string::npos ? 0 : cred_end);
      q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string path;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    std::string cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (auto colon = cred.find(':'); colon != std::string::npos) {
      o.username = percent_decode(url, cred.substr(0, colon));
      o.password = percent_decode(url, cred.substr(colon + 1));
    } else {
      // redis://secret@host is the common shorthand for a password without a user.
      o.password = percent_decode(url, cred);
    }
  }
  if (cluster) {
    // host:port[,host:port...][/0]: the seed nodes.
    o.cluster = true;
    o.cluster_nodes = host_list(url, rest, "6379", "cluster node");
    set_first(o, o.cluster_nodes.front());
    if (!path.empty()) o.db = parse_int(url, path, "database", 0, 1 << 20);
    apply_query(url, query, o);
    if (o.db != 0) bad_url(url, fmt::format("a Redis Cluster has only database 0, not {}", o.db));
    return o;
  }
  if (sentinel) {
    // host:port[,host:port...]/master[/db]
    o.sentinels = host_list(url, rest, "26379", "sentinel");
    auto slash = path.find('/');
    o.sentinel_master = path.substr(0, slash);
    if (o.sentinel_master.empty()) bad_url(url, "missing the master's name after the sentinels");
    if (slash != std::string::npos)
      o.db = parse_int(url, path.substr(slash + 1), "database", 0, 1 << 20);
    o.host.clear();
    apply_query(url, query, o);
    return o;
  }
  if (!rest.empty() && rest[0] == '[') {  // [::1]:6379
    auto close = rest.find(']');
    if (close == std::string::npos) bad_url(url, "unterminated IPv6 address");
    o.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') bad_url(url, "expected ':' after the IPv6 address");
      o.port = parse_int(url, rest.substr(1), "port", 1, 65535);
    }
  } else {
    auto colon = rest.find(':');
    o.host = rest.substr(0, colon);
    if (colon != std::string::npos)
      o.port = parse_int(url, rest.substr(colon + 1), "port", 1, 65535);
  }
  if (o.host.empty()) bad_url(url, "missing host");
  if (!path.empty()) o.db = parse_int(url, path, "database", 0, 1 << 20);
  apply_query(url, query, o);
  return o;
}

ConnectionOptions options_from_env() {
  const char* url = std::getenv("REDIS_URL");
  if (url == nullptr || *url == '\0') return ConnectionOptions{};
  return parse_redis_url(url);
}

}  // namespace resque
