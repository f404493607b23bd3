#pragma once
// Child processes for tests: peers (node-resque scripts), our own worker binaries to SIGKILL,
// and sockets that never answer. Output goes to a file the test can read.

#include <sys/types.h>
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace resque::test {

class Process {
 public:
  /// Starts argv[0] (searched in PATH) with extra environment variables; stdout and stderr go
  /// to a temporary file. Killed (SIGKILL) on destruction if still running.
  Process(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  /// Waits for exit; returns the exit status (128+signal when killed), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  void signal(int sig);
  bool running();
  /// Everything the process printed so far.
  std::string output() const;
  /// Polls output() until it contains `needle` or the deadline passes.
  bool wait_for_output(const std::string& needle,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string out_path_;
};

/// Runs a command to completion; returns {exit status, output}. Fails the test on timeout.
std::pair<int, std::string> run(std::vector<std::string> argv,
                                std::map<std::string, std::string> env = {},
                                std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// Polls `pred` every few milliseconds until it holds or the deadline passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    struct timespec ts {
      0, 2'000'000
    };
    nanosleep(&ts, nullptr);
  }
}

}  // namespace resque::test
