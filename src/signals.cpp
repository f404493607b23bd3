// run_until_signalled: Ruby's signal mapping for standalone worker binaries. Handlers only
// write the signal number to a pipe (async-signal-safe); a normal thread acts on it.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <map>

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
  if (::pipe(g_pipe) != 0) throw std::runtime_error("run_until_signalled: pipe() failed");
  const int sigs[] = {SIGQUIT, SIGTERM, SIGINT, SIGUSR2, SIGCONT};
  std::map<int, struct sigaction> old;
  for (int s : sigs) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(s, &sa, &old[s]);
  }
  pool.start();
  for (;;) {
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
  for (auto& [s, sa] : old) ::sigaction(s, &sa, nullptr);
  ::close(g_pipe[0]);
  ::close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
}

}  // namespace resque
