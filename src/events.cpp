#include "resque/events.hpp"

#include <cstdio>
#include <mutex>

namespace resque {

LogFunction stderr_logger(LogLevel min) {
  return [min](LogLevel level, std::string_view msg) {
    if (level < min) return;
    static std::mutex mu;  // one line at a time across threads
    static const char* names[] = {"debug", "info", "warning", "error"};
    std::lock_guard<std::mutex> lock(mu);
    std::fprintf(stderr, "resque [%s] %.*s\n", names[static_cast<int>(level)],
                 static_cast<int>(msg.size()), msg.data());
  };
}

}  // namespace resque
