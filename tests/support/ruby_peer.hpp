#pragma once
// Real Ruby Resque as a test peer: runs the driver scripts of tests/interop/ruby (enqueue.rb,
// work_once.rb, enqueue_at.rb, failure_op.rb, ...; see tests/interop/ruby/README.md) with
// Debian's ruby against a test's redis-server. The Ruby sources (resque, resque-scheduler and
// the plugins, at the commits pinned in tests/interop/ruby/SOURCES.txt) are never in the
// repository: scripts/ruby-peer.sh exports them from git mirrors into a folder that the tests
// find through RESQUE_RUBY_PEER_DIR. Every Ruby test starts with RESQUE_REQUIRE_RUBY(): when the
// variable is unset or empty it is skipped with the recipe; when it is set but the sources or
// ruby's packages are missing it fails (someone asked for the Ruby peer and did not get it).

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "peer.hpp"
#include "process.hpp"
#include "resque/connection.hpp"
#include "resque/json.hpp"

namespace resque::test {

/// Which Ruby Resque the driver loads.
enum class RubyResque {
  v3_0,  ///< resque 3.0.0 with resque-scheduler 5.0.0 (the default)
  v2_7,  ///< resque 2.7.0 with resque-scheduler 4.11.0
};
/// "resque 3.0.0 / resque-scheduler 5.0.0", for messages.
std::string ruby_resque_name(RubyResque version);

/// tests/interop/ruby (RESQUE_TEST_RUBY_DIR): the driver scripts.
std::string ruby_driver_dir();
/// $RESQUE_RUBY_PEER_DIR, or "" when unset.
std::string ruby_peer_dir();
/// The one-line recipe that prepares the Ruby peer.
std::string ruby_peer_recipe();
/// "" when the Ruby peer can run, else what is missing followed by the recipe (one line).
/// Checks the sources' folders and, once per process, that ruby loads Debian's gems.
std::string ruby_missing();
/// True when RESQUE_RUBY_PEER_DIR is set and not empty (then a missing piece fails the test).
bool ruby_peer_requested();

/// What a driver did.
struct RubyResult {
  int status = -1;     ///< exit status (-1: still running at the timeout, then killed)
  std::string output;  ///< stdout and stderr together
  /// The last output line that is a JSON object (every driver ends with one), or null.
  Json json() const { return last_json_line(output); }
};

/// Runs `ruby <driver dir>/<script> args...` with REDIS_URL pointing at 127.0.0.1:<port>, the
/// sources of `version`, plus `env`, and waits for it.
RubyResult run_ruby(const std::string& script, const std::vector<std::string>& args, int port,
                    const std::map<std::string, std::string>& env = {},
                    RubyResque version = RubyResque::v3_0,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// Same, in the background (a long-running work.rb, scheduler_run.rb, ...).
std::unique_ptr<Process> start_ruby(const std::string& script, const std::vector<std::string>& args,
                                    int port, const std::map<std::string, std::string>& env = {},
                                    RubyResque version = RubyResque::v3_0);

/// Runs a driver and expects it to succeed (fails the test otherwise, with its output); returns
/// its JSON report (null when it printed none).
Json ruby_ok(const std::string& script, const std::vector<std::string>& args, int port,
             const std::map<std::string, std::string>& env = {},
             RubyResque version = RubyResque::v3_0);

/// The jobs Ruby workers performed (the raw list `interop:performed`, entries
/// {"lang":"ruby","class","args","queue","pid","at"}), oldest first, decoded.
std::vector<Json> ruby_performed(Connection& redis);
/// The same entries as stored, so a test can see the exact number text Ruby received.
std::vector<std::string> ruby_performed_raw(Connection& redis);

}  // namespace resque::test

/// In a Ruby interop test body: skips the test when the Ruby peer was not set up (naming the
/// recipe); fails it when RESQUE_RUBY_PEER_DIR is set but something is missing.
#define RESQUE_REQUIRE_RUBY() \
  RESQUE_REQUIRE_PEER(::resque::test::ruby_missing(), ::resque::test::ruby_peer_requested())
