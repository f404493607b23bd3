#pragma once
// Calling a user's event callback: a callback that throws is caught and logged, never allowed
// to break the worker or scheduler thread that called it.
#include <exception>
#include <string>
#include <utility>

#include "resque/events.hpp"

namespace resque::detail {

template <class F, class... A>
void safe_emit(const LogFunction& log, const char* kind, const std::string& name, const F& f,
               A&&... a) {
  if (!f) return;
  try {
    f(std::forward<A>(a)...);
  } catch (const std::exception& e) {
    if (log)
      log(LogLevel::Error, std::string(kind) + "=" + name + " event callback threw: " + e.what());
  } catch (...) {
    if (log) log(LogLevel::Error, std::string(kind) + "=" + name + " event callback threw");
  }
}

}  // namespace resque::detail
