#include "context.hpp"

#include <cstdlib>
#include <iostream>

namespace resque::cli {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

}  // namespace

std::string redact(std::string message, const Target& target) {
  for (const std::string& url : {target.url_flag, env("REDIS_URL")}) {
    if (url.empty()) continue;
    replace_all(message, url, redact_url(url));
    try {
      const std::string pw = parse_redis_url(url).password;
      if (pw.size() >= 3) replace_all(message, pw, "***");
    } catch (const Error&) {
    }
  }
  for (const char* name : {"RESQUE_REDIS_PASSWORD", "REDIS_PASSWORD"}) {
    const std::string pw = env(name);
    if (pw.size() >= 3) replace_all(message, pw, "***");
  }
  return message;
}

ConnectionOptions resolve_options(const Target& target) {
  std::string url = target.url_flag.empty() ? env("REDIS_URL") : target.url_flag;
  ConnectionOptions o;
  if (!url.empty()) {
    try {
      o = parse_redis_url(url);
    } catch (const ConfigError& e) {
      // The parser's reason may quote pieces of a malformed password (a '/' in it moves the
      // rest into the "port"), so a URL with credentials gets a reason that quotes nothing.
      if (redact_url(url) != url)
        throw ConfigError("invalid Redis URL '" + redact_url(url) +
                          "' (reason not shown: it could quote the password; write '/', '@', "
                          "':' and '%' in a password as %2F, %40, %3A and %25)");
      throw ConfigError(redact(e.what(), target));
    }
  }
  if (!target.url_flag.empty() && !o.password.empty())
    std::cerr << "resque-cli: warning: the password in --url can be seen by other users in the "
                 "process list; put it in REDIS_URL or RESQUE_REDIS_PASSWORD instead\n";
  if (o.password.empty()) {
    o.password = env("RESQUE_REDIS_PASSWORD");
    if (o.password.empty()) o.password = env("REDIS_PASSWORD");
  }
  if (target.dialect_flag == "ruby")
    o.dialect = Dialect::ruby;
  else if (target.dialect_flag == "node")
    o.dialect = Dialect::node;
  else if (!target.dialect_flag.empty())
    throw UsageError("--dialect must be ruby or node, not '" + target.dialect_flag + "'");
  if (!target.namespace_flag.empty())
    o.key_namespace = target.namespace_flag;
  else if (const char* ns = std::getenv("RESQUE_NAMESPACE"))
    o.key_namespace = ns;
  // A CLI talks to one server once; do not sit through reconnect backoff when it is down.
  o.reconnect_attempts = 1;
  return o;
}

const ConnectionOptions& Context::options() {
  if (!options_) options_ = std::make_unique<ConnectionOptions>(resolve_options(target));
  return *options_;
}

Queue& Context::queue() {
  if (!queue_) queue_ = std::make_unique<Queue>(options(), nullptr, QueueOptions{2});
  return *queue_;
}

std::int64_t Context::now() {
  auto lease = pool().acquire();
  return std::stoll(lease->command({"TIME"}).element(0).string());
}

}  // namespace resque::cli
