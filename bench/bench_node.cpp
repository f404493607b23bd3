// The node-resque side of resque_bench: node scripts in bench/node/ run against the same
// redis-server, with the pinned node-resque of tests/interop/node (npm ci there first).
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "bench.hpp"

namespace resque::bench {

namespace {
bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}
}  // namespace

std::string node_version() {
  FILE* p = ::popen("node --version 2>/dev/null", "r");
  if (p == nullptr) return {};
  char buf[64] = {0};
  std::string v;
  if (std::fgets(buf, sizeof buf, p) != nullptr) v = buf;
  ::pclose(p);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

std::string node_unavailable(const Settings& s) {
  if (node_version().empty()) return "n/a (node not found)";
  if (!exists(s.node_modules + "/node-resque/package.json"))
    return "n/a (node-resque not installed: npm ci in tests/interop/node)";
  if (!exists(s.node_scripts + "/worker.js")) return "n/a (bench/node scripts not found)";
  return {};
}

std::unique_ptr<Child> node_start(const Settings& s, const ConnectionOptions& o,
                                  const std::string& script, std::vector<std::string> args) {
  ::setenv("NODE_PATH", s.node_modules.c_str(), 1);
  std::vector<std::string> argv = {"node", s.node_scripts + "/" + script, "--port",
                                   std::to_string(o.port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<Child>(argv, "node " + script);
}

}  // namespace resque::bench
