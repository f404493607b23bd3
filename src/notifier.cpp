#include "notifier.hpp"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "per_server.hpp"
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
  auto backoff = std::chrono::milliseconds(50);
  while (!stopping_) {
    timeval tv{static_cast<decltype(tv.tv_sec)>(options_.connect_timeout.count() / 1000),
               static_cast<decltype(tv.tv_usec)>((options_.connect_timeout.count() % 1000) * 1000)};
    redisContext* c = options_.unix_socket.empty()
                          ? redisConnectWithTimeout(options_.host.c_str(), options_.port, tv)
                          : redisConnectUnixWithTimeout(options_.unix_socket.c_str(), tv);
    std::unique_ptr<redisContext, void (*)(redisContext*)> ctx(c, [](redisContext* x) {
      if (x) redisFree(x);
    });
    bool ok = ctx && ctx->err == 0;
    if (ok) {
      timeval none{0, 0};  // block until a message arrives (or shutdown())
      redisSetTimeout(ctx.get(), none);
      auto cmd = [&](std::vector<std::string> argv) {
        std::vector<const char*> ptrs;
        std::vector<size_t> lens;
        for (auto& a : argv) {
          ptrs.push_back(a.data());
          lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(
            redisCommandArgv(ctx.get(), static_cast<int>(argv.size()), ptrs.data(), lens.data()));
        bool good = r != nullptr && r->type != REDIS_REPLY_ERROR;
        if (r) freeReplyObject(r);
        return good;
      };
      if (!options_.password.empty())
        ok = options_.username.empty() ? cmd({"AUTH", options_.password})
                                       : cmd({"AUTH", options_.username, options_.password});
      // Channels are not per database, but the namespace is in the channel name.
      if (ok) ok = cmd({"SUBSCRIBE", channel});
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
      fd_ = ctx->fd;
    }
    // Anything enqueued while we were not subscribed is found by this wake-up.
    wake_all();
    while (!stopping_) {
      void* raw = nullptr;
      if (redisGetReply(ctx.get(), &raw) != REDIS_OK) break;
      if (raw) freeReplyObject(raw);
      wake_all();
    }
    std::lock_guard<std::mutex> lock(fd_mu_);
    fd_ = -1;  // before ctx closes the socket at the end of this iteration
  }
}

}  // namespace resque::detail
