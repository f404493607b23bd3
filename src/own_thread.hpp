#pragma once
// Ending a Worker's or Scheduler's own thread when the last reference to its state goes.
#include <thread>

namespace resque::detail {

// The last reference may be dropped on that very thread (the owner destroyed from one of its
// jobs or event callbacks): a thread cannot join itself, so it is detached then.
inline void join_or_detach(std::thread& thread) {
  if (!thread.joinable()) return;
  if (thread.get_id() == std::this_thread::get_id())
    thread.detach();
  else
    thread.join();
}

}  // namespace resque::detail
