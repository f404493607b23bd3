#pragma once
// One shared instance of T per Redis server, database and namespace in the process (the
// Notifier and the Heartbeat thread): created on first use, destroyed with its last user.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "resque/options.hpp"

namespace resque::detail {

template <class T>
std::shared_ptr<T> per_server(const ConnectionOptions& o) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<T>> all;
  const std::string key = o.describe() + "/" + std::to_string(o.db) + "/" + o.key_namespace;
  std::lock_guard<std::mutex> lock(mu);
  for (auto it = all.begin(); it != all.end();)  // forget servers nobody uses any more
    it = it->second.expired() ? all.erase(it) : std::next(it);
  if (auto t = all[key].lock()) return t;
  auto t = std::make_shared<T>(o);
  all[key] = t;
  return t;
}

}  // namespace resque::detail
