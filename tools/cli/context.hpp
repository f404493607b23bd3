#pragma once
// What every resque-cli command shares: where Redis is (URL and password from the environment
// or the command line, never printed), the Queue, --json, and the errors that set the exit
// status.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "resque/error.hpp"
#include "resque/options.hpp"
#include "resque/queue.hpp"

namespace resque::cli {

/// Bad usage detected by a command itself (e.g. a mass removal without --yes): exit status 2.
class UsageError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

/// The thing a command addresses does not exist ("no such entry"): exit status 1.
class NotFound : public JobError {
 public:
  using JobError::JobError;
};

/// Where to connect. Precedence: --url, then REDIS_URL, then redis://127.0.0.1:6379. A URL
/// without a password takes it from RESQUE_REDIS_PASSWORD, else REDIS_PASSWORD. Namespace:
/// --namespace, then RESQUE_NAMESPACE, then "resque". Dialect of what the CLI writes (enqueue,
/// requeues): --dialect, then the URL's ?dialect=, then ruby (ConnectionOptions::dialect).
struct Target {
  std::string url_flag;        ///< --url as given (may be empty)
  std::string namespace_flag;  ///< --namespace as given (may be empty)
  std::string dialect_flag;    ///< --dialect as given: "", "ruby" or "node"
};

/// Resolved connection options; throws ConfigError (already redacted) on a malformed URL.
ConnectionOptions resolve_options(const Target& target);

/// `message` with every secret the CLI knows of (the URLs from flags and environment, the
/// passwords) replaced by a redacted form.
std::string redact(std::string message, const Target& target);

class Context {
 public:
  Target target;
  bool json = false;

  /// Connects lazily (so --help and usage errors need no Redis).
  Queue& queue();
  ConnectionPool& pool() { return queue().pool(); }
  const Keys& keys() { return queue().keys(); }
  const ConnectionOptions& options();
  /// The Redis server's clock (TIME), epoch seconds: ages are measured against it, as the
  /// library measures heartbeats.
  std::int64_t now();

 private:
  std::unique_ptr<ConnectionOptions> options_;
  std::unique_ptr<Queue> queue_;
};

}  // namespace resque::cli
