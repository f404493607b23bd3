// Cron expressions and "every" durations from persisted schedules (any writer's).
#include <cstdint>
#include <string>

#include "resque/error.hpp"
#include "time/cron.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto cron = resque::detail::CronExpr::parse(text, "UTC");
    (void)cron.next_after(1767225600);  // 2026-01-01
  } catch (const resque::ConfigError&) {
  }
  try {
    (void)resque::detail::parse_every_seconds(text);
  } catch (const resque::ConfigError&) {
  }
  return 0;
}
