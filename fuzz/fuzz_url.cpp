// Connection URLs (REDIS_URL, --url): parse, and the redaction of what the errors show.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "resque/error.hpp"
#include "resque/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string url(reinterpret_cast<const char*>(data), size);
  (void)resque::redact_url(url);
  try {
    const resque::ConnectionOptions o = resque::parse_redis_url(url);
    (void)o.describe();
  } catch (const resque::ConfigError&) {
  }
  return 0;
}
