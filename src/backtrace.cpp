// Stack capture and resolution for failure records (backtrace.hpp). Boost.Stacktrace is used
// header-only over GCC's libbacktrace (the only backend that gives file:line without starting
// a process), kept out of the public headers so consumers need no Boost headers.
#define BOOST_STACKTRACE_USE_BACKTRACE
#include "resque/backtrace.hpp"

#include <fmt/format.h>

#include <boost/stacktrace.hpp>

namespace resque {

namespace {

constexpr std::size_t kMaxFrameBytes = 1024;  // one frame's text (template names get long)

std::string frame_text(const boost::stacktrace::frame& f) {
  std::string name = f.name();
  const std::string file = f.source_file();
  std::string text;
  if (!file.empty())
    text = fmt::format("{}:{}:in `{}'", file, f.source_line(), name.empty() ? "?" : name);
  else if (!name.empty())
    text = fmt::format("in `{}'", name);
  else
    text = fmt::format("{}", f.address());
  if (text.size() > kMaxFrameBytes) text = text.substr(0, kMaxFrameBytes - 3) + "...";
  return text;
}

}  // namespace

StackTrace StackTrace::capture(std::size_t skip) {
  StackTrace out;
  try {
    // +1: this function's own frame. One more than kept, so frames() can say some were cut.
    const boost::stacktrace::stacktrace st(skip + 1, kMaxFrames + 1);
    out.addresses_.reserve(st.size());
    for (const auto& f : st) out.addresses_.push_back(f.address());
  } catch (...) {
    // Out of memory while capturing: an empty trace says nothing rather than failing the throw.
    out.addresses_.clear();
  }
  return out;
}

TracedError::TracedError(const std::string& message)
    : Error(message), TracedException(StackTrace::capture(1)) {}

StackTrace StackTrace::of_failure(const std::exception_ptr& e) noexcept {
  try {
    try {
      if (e) std::rethrow_exception(e);
    } catch (const TracedException& t) {
      return t.trace();
    } catch (...) {
    }
    StackTrace out = capture(1);
    out.catch_site_ = true;
    return out;
  } catch (...) {
    return {};  // out of memory: the failure is still recorded, without frames
  }
}

std::vector<std::string> StackTrace::frames() const {
  std::vector<std::string> out;
  if (catch_site_)
    out.emplace_back(
        "(where resque caught it: throw resque::TracedError or use resque::throw_with_trace to "
        "record where it was thrown)");
  std::size_t bytes = 0;
  try {
    for (std::size_t i = 0; i < addresses_.size(); ++i) {
      std::string text = frame_text(boost::stacktrace::frame(addresses_[i]));
      if (i == kMaxFrames || bytes + text.size() > kMaxBytes) {
        out.emplace_back("... (more frames not recorded)");
        break;
      }
      bytes += text.size();
      out.push_back(std::move(text));
    }
  } catch (...) {
    // Out of memory while resolving: keep the frames resolved so far; recording goes on.
  }
  return out;
}

}  // namespace resque
