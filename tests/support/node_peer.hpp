#pragma once
// Runs the node-resque driver scripts of tests/interop/node (enqueue.js, enqueue_at.js,
// work_once.js, scheduler_once.js, queue_ops.js; see the comment at the top of each) against
// a test's redis-server. The pinned node-resque is installed there by `npm ci`
// (scripts/setup.sh --with-node). Every node interop test starts with RESQUE_REQUIRE_NODE():
// without node-resque it is skipped, saying how to install it, except in CI (CI=true), where it
// fails: interop tests must not pass by skipping there.

#include <gtest/gtest.h>

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

/// tests/interop/node (RESQUE_TEST_NODE_DIR).
std::string node_dir();
/// node_modules/node-resque is installed under node_dir().
bool node_modules_installed();
/// A `node` executable is on PATH.
bool node_binary_found();
/// Both of the above.
bool node_available();
/// "" when node_available(), else what is missing and how to get it, in one line.
std::string node_missing();
/// <node_dir>/<name>.
std::string node_script(const std::string& name);

/// What a driver script did.
struct NodeResult {
  int status = -1;     ///< exit status (-1: still running at the timeout, then killed)
  std::string output;  ///< stdout and stderr together
  /// The last output line that is a JSON object (every driver ends with one), or null.
  Json json() const;
};

/// Runs `node <node_dir>/<script> args...` with REDIS_PORT=<port> (plus `env`) and waits for
/// it. The scripts exit by themselves and have their own hard timeout (DRIVER_TIMEOUT_MS,
/// 30 s); `timeout` is only the last resort.
NodeResult run_node(const std::string& script, const std::vector<std::string>& args, int port,
                    const std::map<std::string, std::string>& env = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// Same, in the background (for a worker that must be seen mid-job, killed, ...).
std::unique_ptr<Process> start_node(const std::string& script, const std::vector<std::string>& args,
                                    int port, const std::map<std::string, std::string>& env = {});

/// The entries work_once.js RPUSHed on `interop:performed`, decoded, oldest first.
std::vector<Json> performed_jobs(Connection& redis);

}  // namespace resque::test

/// In a node interop test body: skips the test when node or node-resque is missing, saying
/// how to install it; fails it instead in CI (CI=true).
#define RESQUE_REQUIRE_NODE() \
  RESQUE_REQUIRE_PEER(::resque::test::node_missing(), ::resque::test::in_ci())
