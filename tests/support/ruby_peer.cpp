#include "ruby_peer.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <mutex>

namespace resque::test {

namespace {

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Folder of the resque and resque-scheduler sources of each version, and the files the drivers
// load from every folder.
struct Folders {
  const char* resque;
  const char* scheduler;
};
Folders folders(RubyResque v) {
  return v == RubyResque::v2_7 ? Folders{"resque-2.7.0", "resque-scheduler-4.11.0"}
                               : Folders{"resque", "resque-scheduler"};
}

const std::vector<std::pair<std::string, std::string>>& required_files() {
  static const std::vector<std::pair<std::string, std::string>> files = {
      {"resque", "lib/resque.rb"},
      {"resque-2.7.0", "lib/resque.rb"},
      {"resque-scheduler", "lib/resque-scheduler.rb"},
      {"resque-scheduler-4.11.0", "lib/resque-scheduler.rb"},
      {"resque-lock-timeout", "lib/resque-lock-timeout.rb"},
      {"resque-retry", "lib/resque-retry.rb"},
      {"resque-lock", "lib/resque/plugins/lock.rb"},
  };
  return files;
}

// ruby and the Debian gems the drivers need, checked once per process ("" = fine).
std::string ruby_runtime_missing() {
  static std::once_flag once;
  static std::string missing;
  std::call_once(once, [] {
    auto [status, out] = run({"ruby", "-e",
                              "require 'redis'; require 'redis-namespace'; require 'mono_logger';"
                              " require 'multi_json'; require 'rufus-scheduler'; puts 'RUBY-OK'"},
                             {}, std::chrono::seconds(60));
    if (status == 127)
      missing = "there is no `ruby` on PATH";
    else if (status != 0 || out.find("RUBY-OK") == std::string::npos)
      missing =
          "ruby cannot load the gems the drivers need (" + out.substr(0, out.find('\n')) + ")";
  });
  return missing;
}

std::map<std::string, std::string> ruby_env(int port, RubyResque v,
                                            std::map<std::string, std::string> env) {
  const std::string dir = ruby_peer_dir();
  const Folders f = folders(v);
  env.emplace("REDIS_URL", "redis://127.0.0.1:" + std::to_string(port));
  env.emplace("RESQUE_RUBY_PEER_DIR", dir);
  env.emplace("INTEROP_RESQUE_DIR", dir + "/" + f.resque);
  env.emplace("INTEROP_SCHEDULER_DIR", dir + "/" + f.scheduler);
  return env;
}

std::vector<std::string> ruby_argv(const std::string& script,
                                   const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ruby", ruby_driver_dir() + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

std::string ruby_resque_name(RubyResque version) {
  return version == RubyResque::v2_7 ? "resque 2.7.0 / resque-scheduler 4.11.0"
                                     : "resque 3.0.0 / resque-scheduler 5.0.0";
}

std::string ruby_driver_dir() {
  return RESQUE_TEST_RUBY_DIR;
}

std::string ruby_peer_dir() {
  const char* dir = std::getenv("RESQUE_RUBY_PEER_DIR");
  return dir == nullptr ? "" : dir;
}

bool ruby_peer_requested() {
  return !ruby_peer_dir().empty();
}

std::string ruby_peer_recipe() {
  return "to run against real Ruby Resque: scripts/setup.sh --with-ruby && eval \"$(scripts/"
         "ruby-peer.sh --mirrors DIR_OF_GIT_MIRRORS --out ~/.cache/resque-ruby-peer)\" (git "
         "mirrors of the repositories in tests/interop/ruby/SOURCES.txt; sets "
         "RESQUE_RUBY_PEER_DIR)";
}

std::string ruby_missing() {
  const std::string dir = ruby_peer_dir();
  if (dir.empty()) return "RESQUE_RUBY_PEER_DIR is not set; " + ruby_peer_recipe();
  for (const auto& [folder, file] : required_files())
    if (!is_file(dir + "/" + folder + "/" + file))
      return "RESQUE_RUBY_PEER_DIR=" + dir + " has no " + folder + "/" + file + "; " +
             ruby_peer_recipe();
  const std::string runtime = ruby_runtime_missing();
  if (!runtime.empty()) return runtime + "; " + ruby_peer_recipe();
  return "";
}

RubyResult run_ruby(const std::string& script, const std::vector<std::string>& args, int port,
                    const std::map<std::string, std::string>& env, RubyResque version,
                    std::chrono::milliseconds timeout) {
  Process p(ruby_argv(script, args), ruby_env(port, version, env));
  RubyResult r;
  r.status = p.wait(timeout);
  r.output = p.output();
  return r;
}

std::unique_ptr<Process> start_ruby(const std::string& script, const std::vector<std::string>& args,
                                    int port, const std::map<std::string, std::string>& env,
                                    RubyResque version) {
  return std::make_unique<Process>(ruby_argv(script, args), ruby_env(port, version, env));
}

Json ruby_ok(const std::string& script, const std::vector<std::string>& args, int port,
             const std::map<std::string, std::string>& env, RubyResque version) {
  const RubyResult r = run_ruby(script, args, port, env, version);
  EXPECT_EQ(r.status, 0) << "ruby " << script << " (" << ruby_resque_name(version) << ") failed:\n"
                         << r.output;
  return r.json();
}

std::vector<std::string> ruby_performed_raw(Connection& redis) {
  return redis.command({"LRANGE", "interop:performed", "0", "-1"}).strings();
}

std::vector<Json> ruby_performed(Connection& redis) {
  std::vector<Json> out;
  for (const auto& s : ruby_performed_raw(redis)) out.push_back(decode_json(s));
  return out;
}

}  // namespace resque::test
