// resque-cli: inspect and manage a Resque Redis, whoever wrote it (Ruby, node-resque,
// resque-cpp). Grammar: resque-cli [--url URL] [--namespace NS] [--dialect ruby|node]
// COMMAND ... [--json], --json anywhere. Exit status: 0 success, 1 failure (including "no such
// entry"), 2 usage error.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "context.hpp"
#include "resque/version.hpp"

using namespace resque::cli;

int main(int argc, char** argv) {
  Context ctx;
  // --json is accepted anywhere on the line (before or after the command), so take it out
  // before CLI11 sees the words; after "--" everything is an operand.
  std::vector<std::string> words;
  bool operands = false;
  for (int i = 1; i < argc; ++i) {
    const std::string w = argv[i];
    if (!operands && w == "--json") {
      ctx.json = true;
      continue;
    }
    if (w == "--") operands = true;
    words.push_back(w);
  }

  CLI::App app{
      "resque-cli: inspect and manage a Resque Redis (Ruby Resque, node-resque, resque-cpp).\n"
      "Redis: --url, else REDIS_URL, else redis://127.0.0.1:6379; a URL without a password "
      "takes it from RESQUE_REDIS_PASSWORD or REDIS_PASSWORD. Namespace: --namespace, else "
      "RESQUE_NAMESPACE, else resque.\nExit status: 0 success, 1 failure (also \"no such "
      "entry\"), 2 usage error.",
      "resque-cli"};
  app.set_version_flag("--version", RESQUE_VERSION_STRING);
  app.add_option("--url", ctx.target.url_flag,
                 "Redis URL (redis://[user@]host[:port][/db], rediss://, unix:///path); prefer "
                 "REDIS_URL for passwords");
  app.add_option("--namespace", ctx.target.namespace_flag, "key namespace (default resque)");
  app.add_option("--dialect", ctx.target.dialect_flag,
                 "whose bytes to write (enqueue, requeue): ruby (default; Ruby's dequeue and "
                 "resque-web find them) or node (node-resque's del/delDelayed find them); "
                 "overrides the URL's ?dialect=")
      ->check(CLI::IsMember({"ruby", "node"}));
  bool json_placeholder = false;  // taken out above; declared for --help
  app.add_flag("--json", json_placeholder,
               "machine-readable output (one JSON document), accepted anywhere on the line");
  app.require_subcommand(1);
  app.fallthrough();

  add_queue_commands(app, ctx);
  add_delayed_commands(app, ctx);
  add_worker_commands(app, ctx);
  add_failed_commands(app, ctx);
  add_admin_commands(app, ctx);
  add_web_command(app, ctx);
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->fallthrough();
    for (auto* leaf : sub->get_subcommands([](CLI::App*) { return true; })) leaf->fallthrough();
  }

  try {
    std::reverse(words.begin(), words.end());  // CLI11 takes the words last first
    app.parse(words);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const UsageError& e) {
    std::cerr << "resque-cli: " << redact(e.what(), ctx.target) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "resque-cli: " << redact(e.what(), ctx.target) << "\n";
    return 1;
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}
