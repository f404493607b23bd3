#include "notifier.hpp"

#include <sys/socket.h>

#include <string>
#include <vector>

#include "per_server.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/keys.hpp"

namespace resque::detail {

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
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
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
    wake_all();
    try {
      while (!stopping_) {
        c.receive();
        wake_all();
      }
    } catch (const Error&) {
      // Broken (or shut down by the destructor): reconnect unless stopping.
    }
    std::lock_guard<std::mutex> lock(fd_mu_);
    fd_ = -1;  // before c closes the socket at the end of this iteration
  }
}

}  // namespace resque::detail
