// resque::throw_trace (opt-in; backtrace.hpp): interposes the C++ runtime's __cxa_throw so a
// failed job's record shows where any exception was thrown, not only where the worker caught
// it. Linked into a program, this definition comes before libstdc++'s (an object of the
// program for the static archive; a DT_NEEDED library ahead of libstdc++ for the shared one),
// so every throw of the process passes here; resque::detail::record_throw keeps the stack only
// while the thread is inside a job's perform, then the real __cxa_throw (the next definition,
// libstdc++'s) is called.
#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdlib>
#include <typeinfo>

#include "resque/backtrace.hpp"

namespace {
using CxaThrow = void (*)(void*, std::type_info*, void (*)(void*));

CxaThrow real_cxa_throw() {
  // dlsym allocates nothing on glibc for RTLD_NEXT; a missing libstdc++ definition (a program
  // linked with -static-libstdc++, which this library does not support) cannot throw at all.
  static const CxaThrow real = reinterpret_cast<CxaThrow>(dlsym(RTLD_NEXT, "__cxa_throw"));
  if (real == nullptr) std::abort();
  return real;
}
}  // namespace

extern "C" void __cxa_throw(void* object, std::type_info* type, void (*destructor)(void*)) {
  resque::detail::record_throw(object);
  real_cxa_throw()(object, type, destructor);
  std::abort();  // the real one does not return
}
