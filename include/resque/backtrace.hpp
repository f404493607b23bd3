#pragma once
/// @file backtrace.hpp
/// Where a job failed, for the `backtrace` of its failure record (resque-web shows it under the
/// error). C++ cannot see the throw site from a catch block, and libresque does not hook the
/// runtime's throw (replacing `__cxa_throw` in a library linked into services would change
/// every throw of the whole process), so:
/// - an exception thrown with resque::throw_with_trace, or a resque::TracedError, carries the
///   stack of the place it was made, and its failure record shows those frames;
/// - any other exception gets the stack where the worker caught it, headed by a line saying
///   so (the job's own frames are gone by then);
/// - unless the program links the opt-in library `resque::throw_trace` (CMake target; the
///   archive or shared object libresque_throw_trace): it interposes `__cxa_throw`, and every
///   exception thrown while the calling thread is inside a job's perform records the raw
///   return addresses of its throw site (no allocation; a fixed per-thread buffer of
///   kMaxFrames + 1 addresses, one stack walk per throw: a few microseconds, paid only by
///   throws inside perform; every other throw of the process pays one thread-local check).
///   The failure record then shows the throw site of any exception derived from
///   std::exception. Inert under AddressSanitizer (its runtime, linked first, defines
///   __cxa_throw; failures then keep the catch site). Not for programs linked with
///   -static-libstdc++ (libstdc++'s own
///   __cxa_throw would be linked twice); with --as-needed a shared build must keep it needed
///   (CMake links it like any library; it is needed as long as the program throws itself).
/// Frames are resolved to `file:line:in `function'` (Ruby's shape) from the debug information
/// when the failure is recorded (Boost.Stacktrace over libbacktrace), at most kMaxFrames frames
/// and kMaxBytes bytes. Capturing records addresses only (a few microseconds).

#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "resque/error.hpp"

namespace resque {

/// A captured call stack: return addresses, resolved to text on demand.
/// Thread-safety: a value type; const members may be called from any thread.
class StackTrace {
 public:
  /// Frames kept by frames(); the rest are summarised in one last line.
  static constexpr std::size_t kMaxFrames = 50;
  /// Bytes of frame text kept by frames() (a long template name is cut to fit).
  static constexpr std::size_t kMaxBytes = 16 * 1024;

  StackTrace() = default;
  /// The calling thread's stack, innermost first, without this function's frame and the
  /// `skip` frames above it.
  static StackTrace capture(std::size_t skip = 0);
  /// For the failure record of an exception the caller has just caught: the stack it carries
  /// (a TracedException), else the caller's own stack marked as the catch site (frames() then
  /// starts with a line saying so). Addresses only: resolve with frames() when recording.
  /// Never throws (an empty trace when even that fails).
  static StackTrace of_failure(const std::exception_ptr& e) noexcept;

  /// Never throws (out of memory: the frames resolved so far).
  /// The frames as text, innermost first, within kMaxFrames and kMaxBytes (plus a first line
  /// for a catch-site trace and a last one when frames were left out):
  /// "src/export.cpp:42:in `ExportJob::perform(...)'", or "in `name'" / the address when
  /// the binary has no debug information for it.
  std::vector<std::string> frames() const;
  bool empty() const { return addresses_.empty(); }
  std::size_t size() const { return addresses_.size(); }
  /// true for of_failure's fallback: the stack where the exception was caught.
  bool catch_site() const { return catch_site_; }

 private:
  std::vector<const void*> addresses_;
  bool catch_site_ = false;
};

/// Mixin of exceptions that carry the stack of the place they were made. describe_exception
/// names such an exception by thrown_type() (the type given to throw_with_trace).
/// Thread-safety: immutable after construction, like any exception object.
class TracedException {
 public:
  virtual ~TracedException() = default;
  const StackTrace& trace() const { return trace_; }
  /// The type the failure record names.
  virtual const std::type_info& thrown_type() const = 0;

 protected:
  explicit TracedException(StackTrace trace) : trace_(std::move(trace)) {}
  TracedException(const TracedException&) = default;
  TracedException& operator=(const TracedException&) = default;

 private:
  StackTrace trace_;
};

/// An error a job throws to fail with a message and the stack of the place it was made.
/// `throw resque::TracedError("catalog 42 not found");` records "resque::TracedError".
class TracedError : public Error, public TracedException {
 public:
  /// Captures the stack of the caller (this constructor's own frame left out).
  explicit TracedError(const std::string& message);
  const std::type_info& thrown_type() const override { return typeid(TracedError); }
};

namespace detail {
/// Marks the calling thread as inside a job's perform for resque::throw_trace (the worker
/// holds one around perform and the catch that records its failure). Leaving clears what was
/// captured, so nothing captured in one job is matched to another's exception.
/// Thread-safety: per thread (thread-local state).
class ThrowTraceScope {
 public:
  ThrowTraceScope() noexcept;
  ~ThrowTraceScope();
  ThrowTraceScope(const ThrowTraceScope&) = delete;
  ThrowTraceScope& operator=(const ThrowTraceScope&) = delete;

 private:
  bool outer_;
};
/// Called by resque::throw_trace's __cxa_throw for every throw of the process: inside a
/// ThrowTraceScope it records the stack of the throw (addresses only) for `object`, the
/// exception object being thrown; elsewhere it returns at once. Never throws or allocates.
void record_throw(const void* object) noexcept;

template <class E>
class Traced final : public E, public TracedException {
 public:
  Traced(E&& e, StackTrace trace) : E(std::move(e)), TracedException(std::move(trace)) {}
  Traced(const E& e, StackTrace trace) : E(e), TracedException(std::move(trace)) {}
  const std::type_info& thrown_type() const override { return typeid(E); }
};
}  // namespace detail

/// Throws `e` with the stack of this call: `resque::throw_with_trace(std::out_of_range("id"))`.
/// The exception caught is an E (catch clauses for E and its bases still match) and a
/// TracedException; its failure record names E and shows the frames of this call.
/// Out of line (noinline) so that its own frame, and only it, is left out of the trace.
template <class E>
[[noreturn, gnu::noinline]] void throw_with_trace(E&& e) {
  using Plain = std::decay_t<E>;
  static_assert(std::is_base_of_v<std::exception, Plain> && !std::is_final_v<Plain>,
                "throw_with_trace takes a non-final exception class derived from std::exception");
  throw detail::Traced<Plain>(std::forward<E>(e), StackTrace::capture(1));
}

}  // namespace resque
