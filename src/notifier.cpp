#include "notifier.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <string>
#include <vector>

#include "per_server.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/keys.hpp"

namespace resque::detail {

struct Notifier::Group {
  std::vector<std::string> queues;
  bool any = false;             // patterns or "*": every announcement may concern it
  std::size_t members = 0;      // workers in the group (the most wake-ups worth keeping)
  std::size_t tokens = 0;       // wake-ups not yet taken by a waiter
  bool has_poller = false;      // one waiter polls; the others wait for a wake-up
  std::uint64_t announced = 0;  // announcements that concerned the group (see announcements())
  std::condition_variable cv;
};

std::shared_ptr<Notifier> Notifier::get(const ConnectionOptions& o) {
  return per_server<Notifier>(o);
}

Notifier::Notifier(ConnectionOptions options) : options_(std::move(options)) {
  thread_ = std::thread([this] { loop(); });
}

Notifier::~Notifier() {
  {
    std::lock_guard<std::mutex> lock(fd_mu_);
    stopping_ = true;
    // Unblocks the subscriber's blocking read; the thread then sees stopping_ and exits.
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }
  { std::lock_guard<std::mutex> lock(mu_); }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Notifier::wait(std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return generation_.load() != seen; });
}

void Notifier::wake_all() {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  cv_.notify_all();
  for (auto& [key, g] : groups_) g->cv.notify_all();
}

Notifier::Group* Notifier::group(const std::vector<std::string>& queues) {
  std::string key;
  for (const auto& q : queues) {
    key += q;
    key += '\n';
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto& g = groups_[key];
  if (!g) {
    g = std::make_unique<Group>();
    g->queues = queues;
    for (const auto& q : queues)
      if (q.find_first_of("*?[!") != std::string::npos) g->any = true;
  }
  ++g->members;
  return g.get();
}

bool Notifier::wait_for_work(Group* g, std::uint64_t seen, std::chrono::milliseconds poll) {
  std::unique_lock<std::mutex> lock(mu_);
  bool poller = false, woken = false;
  std::chrono::steady_clock::time_point deadline;
  for (;;) {
    if (g->tokens > 0) {
      --g->tokens;
      woken = true;
      break;
    }
    if (generation_.load() != seen) break;
    if (!g->has_poller) {
      g->has_poller = poller = true;
      deadline = std::chrono::steady_clock::now() + poll;
    }
    if (!poller) {
      g->cv.wait(lock);
    } else if (g->cv.wait_until(lock, deadline) == std::cv_status::timeout) {
      break;
    }
  }
  if (poller) {
    g->has_poller = false;
    g->cv.notify_one();  // another idle waiter, if any, takes the poll over
  }
  return woken;
}

void Notifier::wake_one(Group* g) {
  std::lock_guard<std::mutex> lock(mu_);
  if (g->tokens < g->members) ++g->tokens;
  g->cv.notify_one();
}

std::uint64_t Notifier::announcements(Group* g) {
  std::lock_guard<std::mutex> lock(mu_);
  return g->announced;
}

void Notifier::announce(const std::string& queue) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, g] : groups_) {
    if (!queue.empty() && !g->any &&
        std::find(g->queues.begin(), g->queues.end(), queue) == g->queues.end())
      continue;
    ++g->announced;
    if (g->tokens < g->members) ++g->tokens;
    g->cv.notify_one();
  }
}

void Notifier::loop() {
  const std::string channel = Keys(options_.key_namespace).enqueue_channel();
  // Through Connection, so the subscriber speaks TLS, AUTH and the timeouts as everything else
  // does. Reconnecting is this loop's business (with its own backoff), not the Connection's.
  ConnectionOptions o = options_;
  o.reconnect_attempts = 1;
  if (o.command_timeout.count() <= 0) o.command_timeout = o.connect_timeout;
  auto backoff = std::chrono::milliseconds(50);
  while (!stopping_) {
    Connection c(o);
    bool ok = true;
    try {
      // Channels are not per database, but the namespace is in the channel name.
      c.command({"SUBSCRIBE", channel});
      c.set_command_timeout(std::chrono::milliseconds(0));  // block until a message arrives
    } catch (const Error&) {
      ok = false;
    }
    if (!ok) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, backoff, [&] { return stopping_.load(); });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      continue;
    }
    backoff = std::chrono::milliseconds(50);
    {
      std::lock_guard<std::mutex> lock(fd_mu_);
      if (stopping_) break;
      fd_ = c.native_handle();
    }
    // Anything enqueued while we were not subscribed is found by this wake-up.
    announce("");
    try {
      while (!stopping_) {
        const Reply m = c.receive();
        // ["message", channel, queue]
        if (m.type() == Reply::Type::Array && m.size() == 3 &&
            m.element(2).type() == Reply::Type::String)
          announce(m.element(2).string());
        else
          announce("");
      }
    } catch (const Error&) {
      // Broken (or shut down by the destructor): reconnect unless stopping.
    }
    std::lock_guard<std::mutex> lock(fd_mu_);
    fd_ = -1;  // before c closes the socket at the end of this iteration
  }
}

}  // namespace resque::detail
