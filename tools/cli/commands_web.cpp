// web: the dashboard (tools/dashboard).
#include <iostream>

#include "commands.hpp"

namespace resque::cli {

void add_web_command(CLI::App& app, Context& ctx) {
  auto* web = app.add_subcommand("web", "Serve the web dashboard (not built yet)");
  web->callback([&ctx] {
    (void)ctx;
    throw Error("the web dashboard is not available in this build");
  });
}

}  // namespace resque::cli
