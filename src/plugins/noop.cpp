#include "resque/plugins/noop.hpp"

#include <fmt/format.h>

#include "resque/error.hpp"

namespace resque::plugins {

Noop::Noop() : Noop(Options{}) {}

Noop::Noop(Options options) : options_(std::move(options)) {}

void Noop::after_perform(HookContext& ctx) {
  if (!ctx.error) return;
  if (options_.log) {
    auto [type, what] = describe_exception(ctx.error);
    options_.log(LogLevel::Warning, fmt::format("job {} on {} failed (ignored by Noop): {}: {}",
                                                ctx.job.klass, ctx.job.queue, type, what));
  }
  ctx.error = nullptr;
}

}  // namespace resque::plugins
