// run_until_signalled: Ruby's signal mapping for standalone worker binaries. Handlers only
// write the signal number to a pipe (async-signal-safe); a normal thread acts on it.
#include <signal.h>
#include <unistd.h>

#include <fcntl.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "resque/error.hpp"
#include "resque/worker_pool.hpp"

namespace resque {

namespace {
int g_pipe[2] = {-1, -1};
extern "C" void on_signal(int sig) {
  const int saved = errno;
  const char c = static_cast<char>(sig);
  [[maybe_unused]] auto n = ::write(g_pipe[1], &c, 1);
  errno = saved;
}
}  // namespace

void run_until_signalled(WorkerPool& pool) {
  if (::pipe2(g_pipe, O_CLOEXEC) != 0)
    throw Error(std::string("run_until_signalled: pipe2() failed: ") + std::strerror(errno));
  const int sigs[] = {SIGQUIT, SIGTERM, SIGINT, SIGUSR2, SIGCONT};
  std::map<int, struct sigaction> old;
  for (int s : sigs) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(s, &sa, &old[s]);
  }
  auto restore = [&] {
    for (auto& [s, sa] : old) ::sigaction(s, &sa, nullptr);
    ::close(g_pipe[0]);
    ::close(g_pipe[1]);
    g_pipe[0] = g_pipe[1] = -1;
  };
  try {
    pool.start();
  } catch (...) {
    restore();
    throw;
  }
  for (;;) {
    // A job may stop the pool itself (pool.stop() from a "shutdown" job): looked at every
    // 100 ms, so this returns then too instead of waiting for a signal that never comes.
    {
      std::lock_guard<std::mutex> lock(pool.mu_);
      if (pool.stopping_) break;
    }
    struct pollfd pfd {
      g_pipe[0], POLLIN, 0
    };
    const int ready = ::poll(&pfd, 1, 100);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;
    char c = 0;
    const ssize_t n = ::read(g_pipe[0], &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c == SIGUSR2) {
      pool.pause();
    } else if (c == SIGCONT) {
      pool.resume();
    } else {
      break;  // QUIT, TERM, INT: graceful stop
    }
  }
  pool.stop();
  restore();
}

}  // namespace resque
