// Stack capture and resolution for failure records (backtrace.hpp). Boost.Stacktrace is used
// header-only over GCC's libbacktrace (the only backend that gives file:line without starting
// a process), kept out of the public headers so consumers need no Boost headers.
#define BOOST_STACKTRACE_USE_BACKTRACE
#include "resque/backtrace.hpp"

#include <fmt/format.h>

#include <unwind.h>

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

// What resque::throw_trace recorded of the last throw inside a job's perform on this thread.
// Constant-initialised, so the thread-local needs no initialisation guard: a throw outside
// perform costs one read of `inside`.
struct ThrowSlot {
  bool inside = false;  // within a ThrowTraceScope
  bool walking = false;
  const void* object = nullptr;  // the thrown object the frames belong to
  std::size_t n = 0;
  const void* frames[StackTrace::kMaxFrames + 1] = {};
};
thread_local ThrowSlot t_slot;

struct Walk {
  std::size_t skip;
};

_Unwind_Reason_Code walk_frame(_Unwind_Context* ctx, void* arg) {
  auto* w = static_cast<Walk*>(arg);
  if (w->skip > 0) {
    --w->skip;
    return _URC_NO_REASON;
  }
  if (t_slot.n == sizeof t_slot.frames / sizeof t_slot.frames[0]) return _URC_END_OF_STACK;
  const auto ip = _Unwind_GetIP(ctx);
  if (ip == 0) return _URC_END_OF_STACK;
  t_slot.frames[t_slot.n++] = reinterpret_cast<const void*>(ip);
  return _URC_NO_REASON;
}

}  // namespace

namespace detail {

ThrowTraceScope::ThrowTraceScope() noexcept : outer_(t_slot.inside) {
  t_slot.inside = true;
}

ThrowTraceScope::~ThrowTraceScope() {
  t_slot.inside = outer_;
  t_slot.object = nullptr;
  t_slot.n = 0;
}

void record_throw(const void* object) noexcept {
  ThrowSlot& s = t_slot;
  if (!s.inside || s.walking) return;
  s.walking = true;  // a throw inside the walk (none expected) is not recorded over this one
  s.object = nullptr;
  s.n = 0;
  // Skipped: this function and throw_trace's __cxa_throw; the first frame kept is the throw's.
  Walk w{2};
  _Unwind_Backtrace(walk_frame, &w);
  s.object = object;
  s.walking = false;
}

}  // namespace detail

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
    const void* object = nullptr;
    try {
      if (e) std::rethrow_exception(e);
    } catch (const TracedException& t) {
      return t.trace();
    } catch (const std::exception& x) {
      object = dynamic_cast<const void*>(&x);  // the thrown object, as __cxa_throw saw it
    } catch (...) {
    }
    // resque::throw_trace recorded the throw of this very object (inside this job's perform).
    if (object != nullptr && t_slot.object == object && t_slot.n > 0) {
      StackTrace out;
      out.addresses_.assign(t_slot.frames, t_slot.frames + t_slot.n);
      return out;
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
        "(where resque caught it: throw resque::TracedError, use resque::throw_with_trace or "
        "link resque::throw_trace to record where it was thrown)");
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
