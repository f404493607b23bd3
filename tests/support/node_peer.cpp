#include "node_peer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace resque::test {

namespace {

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> node_argv(const std::string& script,
                                   const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"node", node_script(script)};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::map<std::string, std::string> node_env(int port, std::map<std::string, std::string> env) {
  env.emplace("REDIS_PORT", std::to_string(port));
  return env;
}

}  // namespace

std::string node_dir() {
  return RESQUE_TEST_NODE_DIR;
}

bool node_modules_installed() {
  return is_file(node_dir() + "/node_modules/node-resque/package.json");
}

bool node_binary_found() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/node";
    if (is_file(candidate) && ::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

bool node_available() {
  return node_modules_installed() && node_binary_found();
}

std::string node_missing() {
  if (!node_modules_installed())
    return "node-resque is not installed in " + node_dir() +
           ": run `scripts/setup.sh --with-node` (npm ci there)";
  if (!node_binary_found())
    return "node-resque is installed in " + node_dir() +
           " but there is no `node` on PATH: run `scripts/setup.sh` (Debian's nodejs)";
  return "";
}

std::string node_script(const std::string& name) {
  return node_dir() + "/" + name;
}

Json NodeResult::json() const {
  return last_json_line(output);
}

NodeResult run_node(const std::string& script, const std::vector<std::string>& args, int port,
                    const std::map<std::string, std::string>& env,
                    std::chrono::milliseconds timeout) {
  Process p(node_argv(script, args), node_env(port, env));
  NodeResult r;
  r.status = p.wait(timeout);
  r.output = p.output();
  return r;
}

std::unique_ptr<Process> start_node(const std::string& script, const std::vector<std::string>& args,
                                    int port, const std::map<std::string, std::string>& env) {
  return std::make_unique<Process>(node_argv(script, args), node_env(port, env));
}

std::vector<Json> performed_jobs(Connection& redis) {
  std::vector<Json> out;
  for (const auto& s : redis.command({"LRANGE", "interop:performed", "0", "-1"}).strings())
    out.push_back(decode_json(s));
  return out;
}

}  // namespace resque::test
