// Helpers of the plugin SDK (plugin.hpp). Built on Queue's public API only.
#include "resque/plugin.hpp"

#include <fmt/format.h>

#include "resque/error.hpp"
#include "resque/queue.hpp"

namespace resque {

void re_enqueue_later(HookContext& ctx, std::chrono::milliseconds delay) {
  // An hour of seconds already taken by copies of the same job would mean something is badly
  // wrong; fail the job rather than loop on.
  constexpr int kMaxSeconds = 3600;
  for (int extra = 0; extra < kMaxSeconds; ++extra) {
    if (ctx.queue.enqueue_in(delay + std::chrono::seconds(extra), ctx.job.queue, ctx.job.klass,
                             ctx.job.args, true))
      return;
  }
  throw JobError(
      fmt::format("could not re-enqueue {} on {}: the delayed queue holds a copy at "
                  "every second of the next hour",
                  ctx.job.klass, ctx.job.queue));
}

}  // namespace resque
